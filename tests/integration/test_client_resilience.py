"""FxSocketClient against the real simulator under pressure: pacing, 429s, injected 500s and timeouts.

Rate limits run in virtual time: the client's pacer and the simulator's limiter and 429 fault share
one VirtualClock whose sleeps jump ahead, so no assertion depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.errors import ConnectionFailedError, OutcomeUnknownError, RateLimitedError
from fxbot.fxsocket.models import OrderRequest, OrderType
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.simulator.faults import Faults
from fxbot.simulator.ratelimit import SlidingWindowLimiter
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.clocks import VirtualClock

BUY = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1)


class Seen:
    """Records (method, path, status) of every answer the client's httpx client received."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str, int]] = []

    async def __call__(self, response: httpx.Response) -> None:
        self.answers.append((response.request.method, response.request.url.path, response.status_code))

    def statuses(self, method: str | None = None) -> list[int]:
        return [s for m, _, s in self.answers if method is None or m == method]


@pytest.fixture
async def seen() -> Seen:
    return Seen()


@pytest.fixture
async def http(seen: Seen) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(event_hooks={"response": [seen]}) as client:
        yield client


@pytest.fixture
def clock(sim_paused: RunningSimulator) -> VirtualClock:
    """Virtual time for the simulator's rate limiter and 429 fault (give it to the client's pacer too)."""
    virtual = VirtualClock()
    sim_paused.state.limiter = SlidingWindowLimiter(sim_paused.state.limiter.limit, clock=virtual)
    sim_paused.state.faults = Faults(clock=virtual)
    return virtual


def virtual_pacer(clock: VirtualClock) -> RequestPacer:
    """The real 60/s pacer, on virtual time."""
    return RequestPacer(clock=clock, sleep=clock.sleep)


def client_for(sim: RunningSimulator, http: httpx.AsyncClient, scope: str = "trade", **options: Any
               ) -> FxSocketClient:
    """A client of the simulator with its key of `scope`; `options` are FxSocketClient's tuning knobs."""
    return FxSocketClient(http, api_key=sim.keys[scope], base_url=sim.base_url, **options)


async def faults(sim: RunningSimulator, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as control:
        response = await control.post(f"{sim.base_url}/_sim/faults", json=body)
        assert response.status_code == 200, response.text


async def test_pacing_keeps_many_concurrent_callers_under_the_limit(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen, clock: VirtualClock
) -> None:
    account = sim_paused.state.engine.account_ids()[0]
    pacer = virtual_pacer(clock)  # the real 60/s limit, shared by two clients of different keys
    trader = client_for(sim_paused, http, pacer=pacer)
    reader = client_for(sim_paused, http, "read-only", pacer=pacer)
    started = clock()
    quotes = await asyncio.gather(*(
        (trader if n % 2 else reader).get_quote("EURUSD", account_id=account) for n in range(130)))
    assert len(quotes) == 130
    assert set(seen.statuses()) == {200}  # not a single 429
    assert clock() - started >= 2.0  # 130 requests at 60/s need just over two windows


async def test_rate_limited_requests_are_retried_silently(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen, clock: VirtualClock
) -> None:
    client = client_for(sim_paused, http, pacer=virtual_pacer(clock))
    await faults(sim_paused, {"rate_limit_for_s": 1})
    quote = await client.get_quote("EURUSD")
    assert quote.symbol == "EURUSD"
    assert seen.statuses() == [429, 200]
    assert clock.sleeps == [1.0]  # it waited Retry-After, once

    await faults(sim_paused, {"rate_limit_for_s": 1})
    result = await client.place_order(BUY)  # a 429 means nothing happened: safe to resend
    assert result.status == "filled"
    assert seen.statuses("POST") == [429, 201]
    assert [p.order_id for p in await client.get_positions()] == [result.id]


async def test_rate_limit_gives_up_after_max_retries_or_a_too_long_wait(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen, clock: VirtualClock
) -> None:
    impatient = client_for(sim_paused, http, max_rate_limit_retries=0, pacer=virtual_pacer(clock))
    await faults(sim_paused, {"rate_limit_for_s": 1})
    with pytest.raises(RateLimitedError) as info:
        await impatient.get_account()
    assert info.value.retry_after >= 1 and seen.statuses() == [429]

    capped = client_for(sim_paused, http, max_retry_after_s=5, pacer=virtual_pacer(clock))
    await faults(sim_paused, {"rate_limit_for_s": 100})
    with pytest.raises(RateLimitedError) as long_wait:
        await capped.get_account()
    assert long_wait.value.retry_after > 5 and seen.statuses() == [429, 429]
    assert clock.sleeps == []  # gave up at once instead of waiting


async def test_500_after_executing_a_post_is_outcome_unknown_and_not_resent(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen
) -> None:
    client = client_for(sim_paused, http)
    await faults(sim_paused, {"fail_after_next": 1})
    with pytest.raises(OutcomeUnknownError) as info:
        await client.place_order(BUY)
    assert "may or may not have taken effect" in str(info.value) and info.value.status == 500
    assert seen.statuses("POST") == [500]  # sent exactly once
    positions = await client.get_positions()
    assert len(positions) == 1  # the order did execute, exactly once


async def test_500_before_executing_a_post_is_still_outcome_unknown(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen
) -> None:
    client = client_for(sim_paused, http)
    await faults(sim_paused, {"fail_next": 1})
    with pytest.raises(OutcomeUnknownError):
        await client.place_order(BUY)
    assert seen.statuses("POST") == [500]
    assert await client.get_positions() == []


async def test_failed_get_is_retried_and_succeeds(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen
) -> None:
    client = client_for(sim_paused, http, "read-only", backoff_base_s=0.01)
    await faults(sim_paused, {"fail_next": 2})
    account = await client.get_account()
    assert account.id and seen.statuses() == [500, 500, 200]
    await faults(sim_paused, {"fail_after_next": 1})  # a GET has no effect: retrying it is safe
    assert (await client.get_quote("EURUSD")).symbol == "EURUSD"
    assert seen.statuses()[-2:] == [500, 200]


async def test_timeout_on_post_is_outcome_unknown_and_the_order_exists_once(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen
) -> None:
    client = client_for(sim_paused, http, timeout_s=0.2)
    await faults(sim_paused, {"latency_ms": 1500})  # far beyond the timeout, however loaded the machine
    with pytest.raises(OutcomeUnknownError, match="may or may not"):
        await client.place_order(BUY)
    await faults(sim_paused, {})
    assert len(await client.get_positions()) == 1
    assert seen.statuses("POST") == []  # the only POST never got an answer, and none was resent


async def test_slow_get_gives_up_with_connection_failed(
    sim_paused: RunningSimulator, http: httpx.AsyncClient, seen: Seen
) -> None:
    client = client_for(sim_paused, http, timeout_s=0.1, get_retries=1, backoff_base_s=0.01)
    await faults(sim_paused, {"latency_ms": 1000})  # far beyond the timeout, however loaded the machine
    with pytest.raises(ConnectionFailedError, match="2 attempts"):
        await client.get_account()


async def test_unreachable_api_is_connection_failed_for_reads_and_writes(http: httpx.AsyncClient) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = FxSocketClient(http, api_key="sk_test_whatever", base_url=f"http://127.0.0.1:{port}",
                            backoff_base_s=0.01)
    with pytest.raises(ConnectionFailedError):
        await client.get_quote("EURUSD")
    with pytest.raises(ConnectionFailedError, match="nothing was sent"):
        await client.place_order(BUY)
