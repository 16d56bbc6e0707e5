"""Shared pytest fixtures: a real FxSocket simulator on a free loopback port for each test.

Fixtures (function-scoped, async; use them from `async def` tests):

- `sim` -> RunningSimulator: seed 42, tick interval 50 ms, WebSocket pings every 0.5 s, market
  running (prices random-walk on their own). REST: `sim.base_url + "/v1/..."`, stream:
  `sim.stream_url`, keys: `sim.keys["read-only" | "trade" | "full"]`, engine and switches:
  `sim.state` (e.g. `sim.state.engine.quote("EURUSD")`). Stopped after the test.
- `sim_paused` -> RunningSimulator: the same, but the random walk is paused from the start, so
  prices move only when a test sets them with `POST {base_url}/_sim/quotes/{symbol}`
  `{"bid": 1.1, "ask"?: 1.1002}` (SL/TP, pending orders and stop-out react as on a real tick).

Both listen on 127.0.0.1 only. See docs/simulator.md for every /_sim/ control.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import RunningSimulator, start_simulator
from tests.postgres_server import database, database_url, postgres_server, postgres_url

__all__ = ["database", "database_url", "postgres_server", "postgres_url"]  # fixtures for every test (see there)

SIM_SEED = 42
SIM_TICK_INTERVAL_MS = 50
SIM_PING_INTERVAL_S = 0.5


def sim_test_config(*, paused: bool = False, **overrides: object) -> SimConfig:
    """The configuration the `sim` fixtures use (port 0, seed 42, fast ticks and pings)."""
    settings: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 0,
        "seed": SIM_SEED,
        "tick_interval_ms": SIM_TICK_INTERVAL_MS,
        "ping_interval_s": SIM_PING_INTERVAL_S,
        "market_paused": paused,
    }
    settings.update(overrides)
    return SimConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    """A running simulator (market moving) on a free loopback port; see the module docstring."""
    async with await start_simulator(sim_test_config()) as running:
        yield running


@pytest.fixture
async def sim_paused() -> AsyncIterator[RunningSimulator]:
    """A running simulator whose prices move only through POST /_sim/quotes/{symbol}."""
    async with await start_simulator(sim_test_config(paused=True)) as running:
        yield running
