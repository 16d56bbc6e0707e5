"""SimState: the mutable simulator (engine, keys, faults, rate limiter, stream hub) and its tick loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from starlette.requests import HTTPConnection

from fxbot.simulator.auth import KeyRecord, KeyStore, initial_keys
from fxbot.simulator.config import SimConfig
from fxbot.simulator.engine import SimEngine
from fxbot.simulator.errors import SimError
from fxbot.simulator.events import SimEvent
from fxbot.simulator.faults import FaultRequest, Faults
from fxbot.simulator.ids import IdMaker
from fxbot.simulator.ratelimit import SlidingWindowLimiter
from fxbot.simulator.stream_hub import StreamHub

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    """Now in UTC, cut to whole milliseconds like every wire time, so `to=<a time we sent>` includes it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class SimState:
    """Everything one running simulator owns; the routes and the /v1 gate work through it."""

    def __init__(self, config: SimConfig, clock: Callable[[], datetime] = _utc_now) -> None:
        self.config = config
        self.clock = clock
        self.seed: int = config.seed if config.seed is not None else secrets.randbelow(2**31)
        self._initial_keys = initial_keys(config.keys)
        self.keys = KeyStore(self._initial_keys)
        self.faults = Faults()
        self.limiter = SlidingWindowLimiter(config.rate_limit_per_s)
        self.hub = StreamHub(config.account_update_interval_ms / 1000.0)
        # One id sequence for the simulator's life (a reset never reuses an id), distinct from earlier runs.
        self.ids = IdMaker(self.seed, epoch=self.clock().isoformat())
        self.engine = SimEngine(seed=self.seed, start_time=self.clock(), ids=self.ids)
        self.paused = config.market_paused
        self.market_closed = False
        self._tick_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"SimState(seed={self.seed}, paused={self.paused}, streams={len(self.hub.connections)})"

    # --- time and events
    def now(self) -> datetime:
        return self.clock()

    def publish(self, events: Iterable[SimEvent]) -> None:
        """Send engine events to the stream subscribers."""
        self.hub.publish(events)

    # --- accounts and keys
    def reachable_accounts(self, record: KeyRecord) -> list[str]:
        return record.reachable(self.engine.account_ids())

    def select_account(self, record: KeyRecord, account_id: str | None) -> str:
        """The account a request works on: the given one if the key reaches it, else the key's first."""
        reachable = self.reachable_accounts(record)
        if account_id is None:
            if not reachable:
                raise SimError(404, "not_found", "this key reaches no account")
            return reachable[0]
        if account_id not in reachable:
            raise SimError(404, "not_found", f"account {account_id!r} not found")
        return account_id

    def revoke_key(self, key: str) -> bool:
        if not self.keys.revoke(key):
            return False
        self.hub.close_for_key(key)
        return True

    # --- faults and market switches
    def apply_faults(self, request: FaultRequest) -> None:
        self.faults.apply(request)
        if request.clear:
            for account_id in self.engine.account_ids():
                self.engine.set_account_status(account_id, "connected")
        for account_id, status in request.account_status.items():
            self.engine.set_account_status(account_id, status)
        if request.drop_streams:
            self.hub.close_all()

    def set_market_closed(self, closed: bool) -> None:
        self.engine.set_market_closed(closed)
        self.market_closed = closed

    # --- lifecycle
    def start(self) -> None:
        """Start the tick loop on the running event loop."""
        if self._tick_task is None:
            self._tick_task = asyncio.get_running_loop().create_task(self._tick_loop(), name="sim-tick-loop")

    async def stop(self) -> None:
        """Stop the tick loop and close every stream."""
        self.hub.close_all(reason="the simulator is stopping")
        self.hub.reset_throttles()
        task, self._tick_task = self._tick_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def reset(self) -> None:
        """A fresh engine (same seed and accounts); keys, faults and switches back to their start values."""
        self.hub.close_all(reason="the simulator was reset")
        self.hub.reset_throttles()
        self.engine = SimEngine(seed=self.seed, start_time=self.clock(), ids=self.ids)
        self.keys = KeyStore(self._initial_keys)
        self.faults.clear()
        self.limiter.clear()
        self.paused = self.config.market_paused
        self.market_closed = False

    def tick_once(self) -> None:
        """One random-walk step now (what the tick loop does each interval)."""
        self.publish(self.engine.tick(self.clock()))

    async def _tick_loop(self) -> None:
        interval = self.config.tick_interval_ms / 1000.0
        while True:
            await asyncio.sleep(interval)
            if self.paused:
                continue
            try:
                self.tick_once()
            except Exception:
                log.exception("simulator tick failed; the loop goes on")


def state_of(request: HTTPConnection) -> SimState:
    """The SimState a FastAPI app was built around (see server.create_app)."""
    state = request.app.state.sim
    assert isinstance(state, SimState)
    return state
