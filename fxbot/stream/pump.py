"""StreamPump: one supervised broker stream per stored key bound to a chat, plus the alert expiry timer.

The pump re-reads the chat bindings on a cheap periodic check and whenever `request_refresh()` is
called (the app calls it after state-changing commands), starts a stream for each key bound to at
least one chat and stops the streams of keys no chat uses any more. A stream that fails (a refused
key, a crash) is restarted with backoff and never takes the other streams down.

In a worker process (fxbot.scaleout) `key_filter` keeps only the keys of the partitions the worker holds,
and `on_plan` is told the resulting plan before any stream starts (the worker loads those chats' rules); a
`bindings` notification or a partition change calls `request_refresh()`, the periodic poll stays a fallback.
A stream started for a key taken over from a dead worker reconciles over REST at its first connect, as
every new stream does (the start-up lookback covers the dead worker's last minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.cold_load import release_unused_heap
from fxbot.domain.broker import AccessRefusedError
from fxbot.services.alerts import AlertService
from fxbot.services.health import StreamHealth
from fxbot.storage.timestamps import from_db
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier
from fxbot.stream.firing_chunks import FIRINGS_CHUNK, TRIM_AFTER
from fxbot.stream.observer import StreamObserver
from fxbot.stream.session import BoundChat, KeyStreamSession
from fxbot.stream.status import SessionStatus
from fxbot.stream.stop_manager import StopManager

if TYPE_CHECKING:
    from fxbot.guard.hook import AccountGuard
    from fxbot.services.brokers import BrokerProvider
    from fxbot.storage import Storage

log = logging.getLogger(__name__)

STABLE_RUN_S = 30.0


class StreamPump:
    """Feeds the alert engine and the fill notifications from every bound key's stream."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, alerts: AlertService, fills: FillNotifier,
                 clock: Callable[[], datetime], config: PumpConfig | None = None,
                 session_type: type[KeyStreamSession] = KeyStreamSession,
                 observer: StreamObserver | None = None) -> None:
        self._observer = observer
        self.guard: AccountGuard | None = None  # the account guard, handed to every session
        self.manager: StopManager | None = None  # bot-managed stops, handed to every session
        self._storage = storage
        self._session_type = session_type
        self._brokers = brokers
        self._alerts = alerts
        self._fills = fills
        self._clock = clock
        self.config = config or PumpConfig()
        self._plan: dict[int, list[BoundChat]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._sessions: dict[int, KeyStreamSession] = {}
        self._statuses: dict[int, SessionStatus] = {}
        self._wake = asyncio.Event()
        self._running = False
        self.key_filter: Callable[[int], bool] | None = None  # a worker streams only the keys it holds
        self.on_plan: Callable[[dict[int, list[BoundChat]]], Awaitable[None]] | None = None  # told each plan read

    def __repr__(self) -> str:
        return f"StreamPump(keys={sorted(self._tasks)})"

    # -- public API ---------------------------------------------------------------------------

    def request_refresh(self) -> None:
        """Re-read the bindings soon (cheap; call it after anything that may change them)."""
        self._wake.set()

    async def rules_changed(self) -> None:
        """Rules were added, removed, paused or resumed: re-subscribe every stream now."""
        for session in list(self._sessions.values()):
            try:
                await session.sync_subscriptions()
            except Exception:
                log.exception("stream pump: re-subscribing key %s failed", session.key_id)

    async def move_chat(self, old_chat_id: str, new_chat_id: str) -> None:
        """A chat changed id, after storage moved its binding: fills and account alerts go to the new id now."""
        for key_id, chats in list(self._plan.items()):
            if not any(c.chat_id == old_chat_id for c in chats):
                continue
            moved = [replace(c, chat_id=new_chat_id) if c.chat_id == old_chat_id else c for c in chats]
            self._plan[key_id] = moved
            session = self._sessions.get(key_id)
            if session is not None:
                try:
                    await session.update_chats(moved)
                except Exception:
                    log.exception("stream pump: moving chat %s on the stream of key %s failed", old_chat_id, key_id)
        self.request_refresh()  # and re-read the bindings, in case a refresh raced with the move

    def quote_subscriptions(self) -> dict[int, set[str]]:
        """key id -> symbols whose quote subscription the server acknowledged (for tests and /status)."""
        return {key_id: set(s.acked_quotes) for key_id, s in self._sessions.items()}

    def statuses(self) -> list[SessionStatus]:
        return [self._statuses[k] for k in sorted(self._statuses)]

    def stream_health(self) -> StreamHealth:
        """One summary of every key's stream for /status."""
        statuses = self.statuses()
        if not statuses:
            detail = "no chat is bound to a key, so nothing is streamed" if self._running else "not running"
            return StreamHealth(connected=False, detail=detail)
        connected = all(s.connected for s in statuses)
        sinces = [s.since for s in statuses if s.since is not None]
        events = [s.last_event_at for s in statuses if s.last_event_at is not None]
        notes = []
        for s in statuses:
            state = "connected" if s.connected else (s.detail or "not connected")
            if s.connected and s.detail:
                state += f" ({s.detail})"
            notes.append(f"key '{s.key_name}': {state}")
        return StreamHealth(
            connected=connected,
            since=min(sinces) if connected and sinces else (max(sinces) if sinces else None),
            last_event_at=max(events) if events else None,
            reconnects=sum(s.reconnects for s in statuses),
            subscriptions=sum(s.subscriptions for s in statuses),
            detail="; ".join(notes),
            malformed_frames=sum(s.malformed_frames for s in statuses),
            dropped_events=sum(s.dropped_order_events for s in statuses),
            failures=sum(s.failures for s in statuses),
        )

    async def run(self) -> None:
        """Run until cancelled: keep one stream per bound key, and report expired alerts."""
        self._running = True
        expiry = asyncio.create_task(self._expiry_loop(), name="pump-expiry")
        try:
            while True:
                self._wake.clear()
                try:
                    await self.refresh()
                except Exception:
                    log.exception("stream pump: could not read the chat bindings")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.refresh_interval_s):
                        await self._wake.wait()
        finally:
            self._running = False
            expiry.cancel()
            tasks = [expiry, *self._tasks.values()]
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.clear()
            self._sessions.clear()
            self._statuses.clear()

    async def refresh(self) -> None:
        """Start, update or stop the per-key streams to match the chat bindings."""
        plan = await self._read_plan()
        if self.key_filter is not None:
            held = self.key_filter
            plan = {key_id: chats for key_id, chats in plan.items() if held(key_id)}
        if self.on_plan is not None:
            await self.on_plan(plan)
        for key_id in [k for k in self._tasks if k not in plan]:
            task = self._tasks.pop(key_id)
            task.cancel()
            await asyncio.wait([task])  # never swallows the pump's own cancellation (the app stopping meanwhile)
            if not task.cancelled():
                task.exception()  # retrieved: how a stopped stream ended does not matter here
            self._sessions.pop(key_id, None)
            self._statuses.pop(key_id, None)
            log.info("stream pump: stopped the stream of key %s (%s)", key_id,
                     "no chat uses it" if self.key_filter is None or self.key_filter(key_id)
                     else "its partition is another worker's now")
        for key_id, chats in plan.items():
            old = self._plan.get(key_id)
            self._plan[key_id] = chats
            running = self._tasks.get(key_id)
            if running is None or running.done():
                self._tasks[key_id] = asyncio.create_task(self._supervise(key_id), name=f"pump-key-{key_id}")
            elif old != chats and key_id in self._sessions:
                await self._sessions[key_id].update_chats(chats)
        for key_id in [k for k in self._plan if k not in plan]:
            del self._plan[key_id]

    # -- internals ----------------------------------------------------------------------------

    async def _read_plan(self) -> dict[int, list[BoundChat]]:
        rows = await self._storage.db.fetch_all(
            "SELECT chat_id, key_id, account_id, bound_at FROM chat_bindings ORDER BY key_id, chat_id")
        plan: dict[int, list[BoundChat]] = {}
        for row in rows:
            account = None if row["account_id"] is None else str(row["account_id"])
            plan.setdefault(int(row["key_id"]), []).append(
                BoundChat(str(row["chat_id"]), account, from_db(str(row["bound_at"]))))
        return plan

    async def _supervise(self, key_id: int) -> None:
        """Run the key's session; restart it with backoff after a failure (a refused key waits longer)."""
        delay = self.config.restart_min_s
        loop = asyncio.get_running_loop()
        while True:
            key = await self._storage.keys.get(key_id)
            name = key.name if key is not None else f"#{key_id}"
            session = self._session_type(
                key_id, name, self._plan.get(key_id, []), storage=self._storage, brokers=self._brokers,
                alerts=self._alerts, fills=self._fills, clock=self._clock, config=self.config)
            session.observer = self._observer
            session.guard = self.guard
            session.manager = self.manager
            previous = self._statuses.get(key_id)
            if previous is not None:
                session.status.carry_over(previous)
            self._sessions[key_id] = session
            self._statuses[key_id] = session.status
            started = loop.time()
            wait = delay
            try:
                await session.run()
                session.status.detail = "the stream ended; restarting"
            except asyncio.CancelledError:
                raise
            except AccessRefusedError as exc:
                why = exc.status if exc.status is not None else exc.code
                session.status.refused = True
                session.status.detail = f"FxSocket refused the key ({why}); retrying later"
                log.warning("stream pump: FxSocket refused key '%s' (%s)", name, why)
                wait = self.config.refused_retry_s
            except Exception as exc:
                session.status.failures += 1
                if self._observer is not None:
                    self._observer.stream_session_failed()
                session.status.detail = f"the stream failed ({type(exc).__name__}); restarting"
                log.exception("stream pump: the stream of key '%s' failed; restarting in %.1f s", name, delay)
            session.status.connected = False
            session.status.since = self._clock()
            if loop.time() - started > STABLE_RUN_S:
                delay = self.config.restart_min_s
            else:
                delay = min(delay * 2, self.config.restart_max_s)
            await asyncio.sleep(wait)

    async def _report_expired(self) -> int:
        """Report the rules whose expiry passed, FIRINGS_CHUNK at a time (one transaction each, the loop free
        between two: a mass expiry, such as a start after a long stop, is never held or written at once)."""
        now = self._clock()
        expired = 0
        while True:
            firings = self._alerts.engine.expire_due(now, most=FIRINGS_CHUNK)
            expired += len(firings)
            await self._alerts.deliver(firings)
            if len(firings) < FIRINGS_CHUNK:
                return expired
            await asyncio.sleep(0)

    async def _expiry_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.expiry_interval_s)
            try:
                expired = await self._report_expired()
                if expired:
                    await self.rules_changed()
                if expired >= TRIM_AFTER:
                    release_unused_heap()
            except Exception:
                log.exception("stream pump: reporting expired alerts failed")
