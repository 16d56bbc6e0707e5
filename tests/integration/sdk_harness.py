"""Shared helpers of the SDK-face tests: a simulator for the real `fxsocket` SDK, controls, event-driven waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import fxsocket
import httpx
from fxsocket.terminal.stream import AsyncStream, StreamEvent

from fxbot.simulator.runner import RunningSimulator, start_simulator
from tests.conftest import sim_test_config

HANG_S = 20.0  # bounds a hang only; every wait returns as soon as its event arrives
MT5 = "acc_8xKm2"
MT4 = "acc_4pQr7"

E = TypeVar("E")


class ManualNow:
    """A simulator clock that moves only when told (install with `sim.state.clock = ManualNow(...)`)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def manual_clock(sim: RunningSimulator) -> ManualNow:
    """Freeze the simulator's clock (a whole second just after its start) and hand back its controls."""
    start = sim.state.now().astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    clock = ManualNow(start)
    sim.state.clock = clock
    return clock


@asynccontextmanager
async def sdk_simulator(**overrides: Any) -> AsyncIterator[RunningSimulator]:
    """A simulator whose prices move only when a test sets them, with a fast SDK heartbeat and no rate limit
    worth hitting (unless overridden)."""
    settings: dict[str, Any] = {"paused": True, "rate_limit_per_s": 10_000, "sdk_heartbeat_interval_s": 0.05}
    settings.update(overrides)
    async with await start_simulator(sim_test_config(**settings)) as sim:
        yield sim


def client(sim: RunningSimulator, scope: str = "full", *, key: str | None = None) -> fxsocket.AsyncClient:
    """The official SDK's client on the simulator's management URL."""
    return fxsocket.AsyncClient(api_key=key or sim.sdk_keys[scope], base_url=sim.sdk_url, timeout=HANG_S)


async def account(fx: fxsocket.AsyncClient, account_id: str = MT5) -> fxsocket.Account:
    return await fx.accounts.get(account_id)


async def control(sim: RunningSimulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a /_sim/ control; it must succeed."""
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        answer = await http.post(f"/_sim/{path}", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert isinstance(result, dict)
    return result


async def set_quote(sim: RunningSimulator, symbol: str, bid: float, ask: float | None = None) -> None:
    await control(sim, f"quotes/{symbol}", {"bid": bid} if ask is None else {"bid": bid, "ask": ask})


async def next_of(stream: AsyncStream, kind: type[E], test: Callable[[E], bool] = lambda _: True) -> E:
    """The next event of `kind` passing `test` (others are skipped); fails after HANG_S."""
    async with asyncio.timeout(HANG_S):
        async for event in stream:
            if isinstance(event, kind) and test(event):
                return event
    raise AssertionError(f"the stream ended before a {kind.__name__} arrived")


async def events_until(stream: AsyncStream, done: Callable[[StreamEvent], bool]) -> list[StreamEvent]:
    """Every event up to and including the first one `done` accepts."""
    seen: list[StreamEvent] = []
    async with asyncio.timeout(HANG_S):
        async for event in stream:
            seen.append(event)
            if done(event):
                return seen
    raise AssertionError(f"the stream ended first; saw {seen}")
