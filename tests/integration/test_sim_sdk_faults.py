"""`/_sim/` faults on the SDK face, seen through the official SDK: 503, 504 (unknown outcome), 429, resets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import fxsocket
import httpx
import pytest
from fxsocket.models import HealthChecks
from websockets.exceptions import InvalidStatus

from fxbot.simulator.faults import Faults
from fxbot.simulator.ratelimit import SlidingWindowLimiter
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.clocks import ManualClock
from tests.integration.sdk_harness import MT4, MT5, account, client, control, sdk_simulator, set_quote


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with sdk_simulator() as running:
        await set_quote(running, "EURUSD", 1.1, 1.1002)
        yield running


async def test_disconnected_account_answers_503_and_nothing_runs(sim: RunningSimulator) -> None:
    await control(sim, "faults", {"account_status": {MT5: "disconnected"}})
    async with client(sim) as fx:
        mt5 = await account(fx)
        assert mt5.status == "disconnected" and mt5.rest_url  # the terminal is there, its EA is not ready
        term = fx.terminal(mt5)
        with pytest.raises(fxsocket.TerminalNotReadyError):
            await term.order_send(symbol="EURUSD", operation="Buy", volume=0.1)
        with pytest.raises(fxsocket.TerminalNotReadyError):
            await term.opened_orders()
        health = await term.status()  # always 200: the body says what is down
        assert health.status == "down" and not health.broker.connected and not health.bridge.trade_ea_ready
        probe = await term.healthz()  # a 503 with the same body shape
        assert probe.status == "unavailable" and not probe.broker
        assert (await term.livez()).terminal
        with pytest.raises(InvalidStatus) as refused:
            async with fx.stream(mt5):
                pass
        assert refused.value.response.status_code == 503
        sent = await fx.orders.send([MT5, MT4], defaults={"symbol": "EURUSD", "operation": "Buy", "volume": 0.01})
        assert [leg.status for leg in sent.results] == ["unreachable", "filled"]
        with pytest.raises(fxsocket.ValidationError) as up_front:
            await fx.orders.send([MT5], defaults={"symbol": "EURUSD", "operation": "Buy", "volume": 0.01},
                                 require_reachable=True)  # fmt: skip
        assert up_front.value.code == "unreachable_account"
        await control(sim, "faults", {})
        assert (await term.account_summary()).balance == 10_000.0
    assert sim.state.engine.positions(MT5) == []
    async with httpx.AsyncClient(headers={"X-API-Key": sim.sdk_keys["full"]}) as http:
        await control(sim, "faults", {"account_status": {MT5: "connecting"}})
        raw = await http.get(f"{sim.base_url}/sdk/t/{MT5}/healthz")
    assert raw.status_code == 503
    HealthChecks.model_validate(raw.json())


async def test_timeout_fault_is_504_and_the_outcome_is_unknown(sim: RunningSimulator) -> None:
    async with client(sim) as fx:
        term = fx.terminal(await account(fx))
        await control(sim, "faults", {"fail_next": 1})
        with pytest.raises(fxsocket.TerminalTimeoutError) as before:
            await term.order_send(symbol="EURUSD", operation="Buy", volume=0.1)
        assert before.value.code == "MRPC_TIMEOUT"
        assert await term.opened_orders() == []  # this one never ran
        await control(sim, "faults", {"fail_after_next": 1})
        with pytest.raises(fxsocket.TerminalTimeoutError):
            await term.order_send(symbol="EURUSD", operation="Buy", volume=0.1)
        [row] = await term.opened_orders()  # this one did: the client could not know
        assert row.lots == 0.1 and row.kind == "Position"
        await control(sim, "faults", {"fail_next": 1})
        with pytest.raises(fxsocket.FxSocketError) as management:
            await fx.accounts.list()
        assert management.value.status_code == 500


@pytest.fixture
def limiter_clock(sim: RunningSimulator) -> ManualClock:
    """The rate limiter's and the faults' clock, moving only when told (no window depends on speed)."""
    clock = ManualClock()
    sim.state.limiter = SlidingWindowLimiter(3, clock=clock)
    sim.state.faults = Faults(clock=clock)
    return clock


async def test_rate_limit_fault_is_429_with_retry_after(sim: RunningSimulator, limiter_clock: ManualClock) -> None:
    await control(sim, "faults", {"rate_limit_for_s": 30})
    async with client(sim) as fx:
        with pytest.raises(fxsocket.RateLimitError) as listing:
            await fx.accounts.list()
        assert listing.value.retry_after == 30.0
    limiter_clock.advance(20)
    async with httpx.AsyncClient(headers={"X-API-Key": sim.sdk_keys["full"]}) as http:
        raw = await http.get(f"{sim.base_url}/sdk/t/{MT5}/getQuote", params={"symbol": "EURUSD"})
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "10" and raw.json()["error"] == "rate_limited"
    limiter_clock.advance(10)
    async with client(sim) as fx:
        assert len(await fx.accounts.list()) == 2


async def test_rate_limit_per_account_is_shared_with_v1(sim: RunningSimulator, limiter_clock: ManualClock) -> None:
    async with client(sim) as fx:
        term = fx.terminal(await account(fx))  # the management call has its own bucket
        for _ in range(2):
            await term.account_summary()
        async with httpx.AsyncClient(base_url=sim.base_url) as http:
            v1 = await http.get("/v1/account", headers={"Authorization": f"Bearer {sim.keys['read-only']}"})
        assert v1.status_code == 200  # the third request on this account in the window
        with pytest.raises(fxsocket.RateLimitError) as limited:
            await term.account_summary()
        assert limited.value.retry_after == 1.0
        assert (await fx.terminal(await account(fx, MT4)).account_summary()).currency == "EUR"  # per account
        limiter_clock.advance(1)
        assert (await term.account_summary()).currency == "USD"


async def test_reset_forgets_deals_but_never_reuses_a_ticket(sim: RunningSimulator) -> None:
    async with client(sim) as fx:
        term = fx.terminal(await account(fx))
        first = await term.order_send(symbol="EURUSD", operation="Buy", volume=0.1)
        assert len(await term.order_history()) == 1
        await control(sim, "reset", {})
        await set_quote(sim, "EURUSD", 1.1, 1.1002)
        assert await term.order_history() == [] and await term.opened_orders() == []
        second = await term.order_send(symbol="EURUSD", operation="Buy", volume=0.1)
        assert second.order > first.order and second.deal > first.deal
