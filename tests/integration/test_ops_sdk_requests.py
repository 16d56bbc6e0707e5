"""The SDK backend's HTTP requests (management API and each account's terminal, on the SDK's own httpx clients)
are counted in /metrics by endpoint template and status — 429s and unanswered requests too — with no account
id, key or symbol in any label."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from fxbot.backends.sdk import SdkBackend
from fxbot.domain.broker import RateLimitedError, UnreachableError, close_broker
from fxbot.ops.labels import ENDPOINT_TEMPLATES, OTHER
from fxbot.ops.metrics import Metrics
from fxbot.ops.wiring import app_metrics
from fxbot.simulator.runner import RunningSimulator
from tests.integration.sdk_harness import control, sdk_simulator, set_quote


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with sdk_simulator() as running:
        await set_quote(running, "EURUSD", 1.10000, 1.10002)
        yield running


def _requests(metrics: Metrics) -> dict[tuple[str, str, str], float]:
    """fxbot_fxsocket_requests_total as {(endpoint, method, status): count}, parsed from the exposition."""
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == "fxbot_fxsocket_requests_total":
                labels = sample.labels
                found[(labels["endpoint"], labels["method"], labels["status"])] = sample.value
    return found


async def test_management_and_terminal_requests_are_counted_by_template(sim: RunningSimulator) -> None:
    metrics = app_metrics(["console"])
    backend = SdkBackend(management_url=sim.sdk_url, observer=metrics)
    broker = backend.client(sim.sdk_keys["full"])
    account = await broker.get_account()
    await broker.get_positions()
    await broker.get_quote("EURUSD")
    await close_broker(broker)
    await backend.aclose()

    counted = _requests(metrics)
    assert counted[("/v1/accounts", "GET", "200")] >= 1
    assert counted[("{terminal}/OpenedOrders", "GET", "200")] >= 1
    assert counted[("{terminal}/getQuote", "GET", "200")] >= 1
    assert {endpoint for endpoint, _, _ in counted} <= ENDPOINT_TEMPLATES - {OTHER}  # every call has its template
    exposition = metrics.exposition().decode()
    assert account.id not in exposition and sim.sdk_keys["full"] not in exposition
    assert "/sdk/t/" not in exposition  # the terminal's URL path (with the account id) never becomes a label
    assert 'fxbot_fxsocket_request_duration_seconds_count{endpoint="{terminal}/getQuote"}' in exposition


async def test_a_429_and_an_unanswered_request_are_counted(sim: RunningSimulator) -> None:
    metrics = app_metrics(["console"])
    impatient = SdkBackend(management_url=sim.sdk_url, max_rate_limit_retries=0, observer=metrics)
    client = impatient.client(sim.sdk_keys["read-only"])
    await control(sim, "faults", {"rate_limit_for_s": 100})
    with pytest.raises(RateLimitedError):
        await client.get_account()
    await impatient.aclose()
    assert _requests(metrics)[("/v1/accounts", "GET", "429")] == 1
    assert 'fxbot_fxsocket_rate_limited_total{endpoint="/v1/accounts"} 1.0' in metrics.exposition().decode()

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = SdkBackend(management_url=f"http://127.0.0.1:{port}/sdk/v1", backoff_base_s=0.0, read_retries=1,
                      observer=metrics)
    with pytest.raises(UnreachableError):
        await gone.client("fxs_live_whatever0000000000").get_quote("EURUSD")
    await gone.aclose()
    assert _requests(metrics)[("/v1/accounts", "GET", "error")] == 2  # the read and its one retry
