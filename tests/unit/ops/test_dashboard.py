"""docs/grafana-dashboard.json is valid JSON and every metric its queries name is one /metrics exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from fxbot.ops.wiring import app_metrics

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "grafana-dashboard.json"


def test_every_metric_the_dashboard_queries_is_exposed() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    queried = {name for expr in exprs for name in re.findall(r"\b(fxbot_[a-z_]+)", expr)}
    metrics = app_metrics(["console", "telegram"])
    metrics.command_handled("quote", "ok", 0.1)
    metrics.command_handled("buy", "ok", 0.1, confirmed=True)
    metrics.request_done("/v1/quotes/EURUSD", "GET", 200, 0.05)
    metrics.request_done("/v1/quotes/EURUSD", "GET", 429, 0.05)
    metrics.delivered("console", [0.2])
    metrics.delivery_failed("console", "error")
    exposed = {sample.name for family in text_string_to_metric_families(metrics.exposition().decode())
               for sample in family.samples}
    assert queried and queried <= exposed, sorted(queried - exposed)
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) and dashboard["uid"] == "fxbot-ops"
