"""Helpers for the ops endpoint tests: the console app with `ops:` enabled on a free port, and metric reading."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from fxbot.config import OpsSettings, Settings
from tests.e2e.console_app_driver import ConsoleApp

STREAM_BUDGET_S = 30.0


class OpsConsoleApp(ConsoleApp):
    """The real app and console adapter, with the ops endpoint on a free loopback port."""

    def settings(self) -> Settings:
        settings = super().settings()
        settings.ops = OpsSettings(enabled=True, host="127.0.0.1", port=0, stream_budget_s=STREAM_BUDGET_S)
        return settings

    @property
    def ops_url(self) -> str:
        assert self.app is not None and self.app.ops is not None
        return self.app.ops.url

    async def ops_get(self, path: str) -> Any:
        """GET an ops route over real loopback HTTP; the httpx response."""
        return await self.http.get(self.ops_url + path)

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        answer = await self.ops_get("/metrics")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        return parse_samples(answer.text)


def parse_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, by (sample name, sorted labels), parsed by prometheus_client."""
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """One sample's value (0 when the series does not exist yet)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
