"""Metric labels stay bounded whatever the traffic: only registry command names, enabled platforms, endpoint
templates and closed sets become label values; no chat, user, account, key or symbol ever does."""

from __future__ import annotations

import random
import string

from prometheus_client.parser import text_string_to_metric_families

from fxbot.ops.labels import ENDPOINT_TEMPLATES, OTHER, endpoint_template, status_label
from fxbot.ops.metrics import (
    ALERT_KINDS,
    COMMAND_OUTCOMES,
    GUARD_INCIDENTS,
    STREAM_GAP_KINDS,
    WATCHDOG_KINDS,
    WATCHDOG_OUTCOMES,
    Metrics,
)
from fxbot.ops.wiring import app_metrics, command_names

PLATFORMS = ("console", "telegram")


def _junk(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + ":-_/.") for _ in range(rng.randint(1, 24)))


def _label_values(metrics: Metrics) -> dict[str, set[tuple[str, str]]]:
    """Per metric family, every (label, value) pair in the exposition, parsed by prometheus_client."""
    found: dict[str, set[tuple[str, str]]] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        pairs = found.setdefault(family.name, set())
        for sample in family.samples:
            pairs.update((k, v) for k, v in sample.labels.items() if k != "le")
    return found


def test_random_traffic_yields_only_bounded_label_values() -> None:
    rng = random.Random(7)
    metrics = app_metrics(PLATFORMS)
    junk = [_junk(rng) for _ in range(2000)]
    names = command_names()
    for i, text in enumerate(junk):
        metrics.command_handled(text if i % 2 else rng.choice(names), rng.choice([*COMMAND_OUTCOMES, text]), 0.01)
        metrics.command_handled(text, "ok", 0.01, confirmed=True)
        metrics.request_done(f"/v1/quotes/{text}", rng.choice(["GET", "POST", text]), rng.randint(100, 999), 0.02)
        metrics.request_done(f"/v1/orders/{text}?account_id={text}", "DELETE", None, 0.02)
        metrics.request_done("/" + text, "GET", 200, 0.02)
        metrics.delivered(rng.choice([*PLATFORMS, text]), [0.5])
        metrics.retry_after(rng.choice([*PLATFORMS, text]), 3.0)
        metrics.delivery_failed(rng.choice([*PLATFORMS, text]), rng.choice(["forbidden", "error", text]))
        metrics.stream_gap(rng.choice([*STREAM_GAP_KINDS, text]))
        metrics.alert_fired(rng.choice([*ALERT_KINDS, text]))
        metrics.task_restarted(text)
        metrics.request_done(f"/sdk/t/{text}/OpenedOrders", "GET", 200, 0.02)  # an SDK terminal call
        metrics.guard_incident(rng.choice([*GUARD_INCIDENTS, text]), rng.choice(["complete", "sent", text]))
        metrics.watchdog_incident(rng.choice([*WATCHDOG_KINDS, text]), rng.choice([*WATCHDOG_OUTCOMES, text]))
    metrics.set_outbox_depth({text: 1 for text in junk[:50]} | {"console": 2})
    values = _label_values(metrics)
    allowed = {
        "command": {*names, OTHER}, "platform": {*PLATFORMS, OTHER},
        "outcome": {*COMMAND_OUTCOMES, *(o for os in GUARD_INCIDENTS.values() for o in os), *WATCHDOG_OUTCOMES, OTHER},
        "endpoint": set(ENDPOINT_TEMPLATES), "method": {"GET", "POST", "PUT", "PATCH", "DELETE", OTHER},
        "kind": {*STREAM_GAP_KINDS, *ALERT_KINDS, *GUARD_INCIDENTS, *WATCHDOG_KINDS, OTHER},
        "reason": {"forbidden", "error", OTHER},
        "task": {"notifier", "stream pump", OTHER}, "state": {"connected", "reconnecting", "refused"},
    }
    for family, pairs in values.items():
        for label, value in pairs:
            if label == "status":
                assert value == "error" or value.isdigit() or value.endswith("xx"), (family, value)
            elif label == "version":
                assert family == "fxbot_build_info"
            else:
                assert value in allowed[label], (family, label, value)
    exposition = metrics.exposition().decode()
    assert not any(text in exposition for text in junk if len(text) >= 8)  # no raw input reaches a label
    series = sum(1 for line in exposition.splitlines() if line and not line.startswith("#"))
    assert series < 4000, series  # bounded by the label sets, not by the 2000 × 14 distinct inputs


def test_each_label_has_a_small_fixed_number_of_values() -> None:
    assert len(ENDPOINT_TEMPLATES) <= 32  # the /v1 paths, the SDK's management paths and terminal calls
    statuses = {status_label(code) for code in range(100, 1000)}
    assert len(statuses) < 80
    assert endpoint_template("/v1/quotes/EURUSD") == "/v1/quotes/{symbol}"
    assert endpoint_template("/proxy/fx/v1/orders/123456") == "/v1/orders/{id}"
    assert endpoint_template("/v1/accounts") == "/v1/accounts"
    assert endpoint_template("/v1/accounts/acc-42/secret") == OTHER
    assert endpoint_template("/sdk/v1/accounts/acc-42") == "/v1/accounts/{id}"
    assert endpoint_template("/v1/orders/close") == "/v1/orders/close"
    assert endpoint_template("/mt5/terminal/acc-42/OpenedOrders") == "{terminal}/OpenedOrders"
    assert endpoint_template("/mt5/terminal/acc-42/Anything") == OTHER


def test_two_apps_in_one_process_keep_their_own_registries() -> None:
    first, second = app_metrics(PLATFORMS), app_metrics(["discord"])
    first.command_handled("quote", "ok", 0.1)
    assert b'fxbot_commands_total{command="quote",outcome="ok"} 1.0' in first.exposition()
    assert b"fxbot_commands_total{" not in second.exposition()
    assert b'platform="discord"' in second.exposition() and b'platform="discord"' not in first.exposition()
