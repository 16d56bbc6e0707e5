"""Stream hub: the open /v1/stream connections, their subscriptions, fan-out and account_update throttling.

Other faces (the SDK face's per-account WebSockets) attach as listeners: they see every event batch and
every close-all / close-for-key / reset, so each `/_sim/` control acts on every face's streams.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.websockets import WebSocket

from fxbot.simulator.events import SimEvent

log = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 10_000
CLOSE_DROPPED = 1012  # "service restart": the client should reconnect
CLOSE_REVOKED = 1008  # policy violation: the key was revoked
CLOSE_TOO_SLOW = 1013  # try again later: the client did not read its frames


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


def frame(type_: str, data: dict[str, Any]) -> str:
    """One server -> client text frame."""
    return json.dumps({"type": type_, "data": data}, separators=(",", ":"))


class StreamConnection:
    """One accepted WebSocket: its subscriptions and an outbound queue drained by its writer task."""

    def __init__(self, websocket: WebSocket, key: str) -> None:
        self.websocket = websocket
        self.key = key
        self.quote_symbols: set[str] = set()
        self.order_accounts: set[str] = set()
        self.account_accounts: set[str] = set()
        self._queue: asyncio.Queue[str | _Close] = asyncio.Queue()
        self._closing = False

    def __repr__(self) -> str:
        return f"StreamConnection(symbols={sorted(self.quote_symbols)}, closing={self._closing})"

    def send(self, text: str) -> None:
        """Queue a frame; a client that lets MAX_QUEUED_FRAMES pile up is disconnected."""
        if self._closing:
            return
        if self._queue.qsize() >= MAX_QUEUED_FRAMES:
            self.close(CLOSE_TOO_SLOW, "too many unread frames")
            return
        self._queue.put_nowait(text)

    def send_frame(self, type_: str, data: dict[str, Any]) -> None:
        self.send(frame(type_, data))

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued."""
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(_Close(code, reason))

    async def run_writer(self) -> None:
        """Send queued frames until a close is queued or the socket fails."""
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, _Close):
                    await self.websocket.close(code=item.code, reason=item.reason)
                    return
                await self.websocket.send_text(item)
            except Exception:  # the peer went away; the reader side notices too
                return


class TimerHandle(Protocol):
    def cancel(self) -> None: ...


class Timers(Protocol):
    """The clock and delayed calls the throttle uses: the running event loop, or a fake in tests."""

    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[str], object], account_id: str, /) -> TimerHandle: ...


class _AccountThrottle:
    """Latest-wins throttle of account_update per account: at most one frame per interval."""

    def __init__(self) -> None:
        self.last_sent = float("-inf")
        self.pending: dict[str, Any] | None = None
        self.timer: TimerHandle | None = None


class StreamListener(Protocol):
    """Another face's streams, driven by the hub: events, closes and resets reach it as they reach /v1."""

    def publish(self, events: list[SimEvent]) -> None: ...

    def close_all(self, code: int, reason: str) -> int: ...

    def close_for_key(self, key: str) -> int: ...

    def reset_throttles(self) -> None: ...


class StreamHub:
    """Fans SimEvents out to the connections subscribed to them (and to the listeners of other faces)."""

    def __init__(self, account_update_interval_s: float = 0.25, timers: Timers | None = None) -> None:
        self.interval_s = account_update_interval_s
        self.connections: set[StreamConnection] = set()
        self._throttles: dict[str, _AccountThrottle] = {}
        self.timers = timers  # None: the running event loop (tests set a fake)
        self.listeners: list[StreamListener] = []

    def add(self, connection: StreamConnection) -> None:
        self.connections.add(connection)

    def remove(self, connection: StreamConnection) -> None:
        self.connections.discard(connection)

    def publish(self, events: Iterable[SimEvent]) -> None:
        """Deliver events: quotes to their symbol's subscribers, order/account events to the account's."""
        batch = list(events)
        for event in batch:
            if event.type == "quote":
                self._quote(event)
            elif event.type == "account_update":
                if event.account_id is not None:
                    self._account_update(event.account_id, event.data)
            elif event.account_id is not None:
                text = frame(event.type, event.data)
                for conn in list(self.connections):
                    if event.account_id in conn.order_accounts:
                        conn.send(text)
        for listener in self.listeners:
            try:
                listener.publish(batch)
            except Exception:  # one face's failure must not break the other's request or the tick loop
                log.exception("a stream listener failed on an event batch; it goes on")

    def _quote(self, event: SimEvent) -> None:
        symbol = event.symbol or str(event.data.get("symbol", ""))
        subscribers = [conn for conn in self.connections if symbol in conn.quote_symbols]
        if not subscribers:
            return
        text = frame("quote", event.data)
        for conn in subscribers:
            conn.send(text)

    def _account_update(self, account_id: str, data: dict[str, Any]) -> None:
        throttle = self._throttles.setdefault(account_id, _AccountThrottle())
        loop = self._loop()
        now = loop.time()
        wait = throttle.last_sent + self.interval_s - now
        if wait <= 0 and throttle.timer is None:
            throttle.last_sent = now
            self._deliver_account(account_id, data)
            return
        throttle.pending = data
        if throttle.timer is None:
            throttle.timer = loop.call_later(max(wait, 0.0), self._flush_account, account_id)

    def _flush_account(self, account_id: str) -> None:
        throttle = self._throttles.get(account_id)
        if throttle is None:
            return
        throttle.timer = None
        if throttle.pending is not None:
            data, throttle.pending = throttle.pending, None
            throttle.last_sent = self._loop().time()
            self._deliver_account(account_id, data)

    def _loop(self) -> Timers:
        return self.timers if self.timers is not None else asyncio.get_running_loop()

    def _deliver_account(self, account_id: str, data: dict[str, Any]) -> None:
        text = frame("account_update", data)
        for conn in list(self.connections):
            if account_id in conn.account_accounts:
                conn.send(text)

    def close_all(self, code: int = CLOSE_DROPPED, reason: str = "dropped by the simulator") -> int:
        """Close every connection; the number closed."""
        closing = list(self.connections)
        for conn in closing:
            conn.close(code, reason)
        return len(closing) + sum(listener.close_all(code, reason) for listener in self.listeners)

    def close_for_key(self, key: str) -> int:
        closing = [conn for conn in self.connections if conn.key == key]
        for conn in closing:
            conn.close(CLOSE_REVOKED, "the API key was revoked")
        return len(closing) + sum(listener.close_for_key(key) for listener in self.listeners)

    def reset_throttles(self) -> None:
        """Forget pending account updates (after a reset of the engine)."""
        for throttle in self._throttles.values():
            if throttle.timer is not None:
                throttle.timer.cancel()
        self._throttles.clear()
        for listener in self.listeners:
            listener.reset_throttles()
