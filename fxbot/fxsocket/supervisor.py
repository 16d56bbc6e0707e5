"""SupervisedSocket: a WebSocket as an async iterator of events that reconnects, re-subscribes and reports gaps.

The reconnect policy of every FxSocket stream lives here (the `/v1` stream and the SDK's per-account
terminal sockets): exponential backoff with full jitter, a silence timeout, remembered subscriptions
re-sent after every reconnection, and synthesized connected/disconnected events. A subclass says how
to open the connection, which subscription frames to send, and how a frame becomes events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.frames import Frame
from websockets.protocol import Event

logger = logging.getLogger(__name__)

ConnectFn = Callable[..., Awaitable[Any]]
E = TypeVar("E")


class ActivityTrackingConnection(ClientConnection):
    """A websockets client connection that records when any frame (data, ping, pong) last arrived."""

    last_activity: float = 0.0

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame):
            self.last_activity = self.loop.time()
        super().process_event(event)


def utc_now() -> datetime:
    return datetime.now(UTC)


class SupervisedSocket(Generic[E]):
    """Events of one WebSocket that survives disconnects on its own.

    The connection is opened by the first `__anext__`. After any disconnect (server close, network
    error, nothing received for `silence_timeout_s` — frames and pings both count) the iterator yields
    `_disconnected_event`, reconnects with exponential backoff and full jitter, re-sends
    `_subscription_messages()` and yields `_connected_event(reconnected=True, ...)`.

    `_open` failures of the `fatal` types end iteration (raised once); those of the `retryable` types
    are retried. Only one task may iterate at a time. `close()` ends the iterator cleanly.
    """

    log_prefix: ClassVar[str] = "stream"
    fatal: ClassVar[tuple[type[BaseException], ...]] = ()
    retryable: ClassVar[tuple[type[BaseException], ...]] = (OSError, TimeoutError, WebSocketException)

    def __init__(self, *, reconnect_min_s: float, reconnect_max_s: float, silence_timeout_s: float) -> None:
        self._reconnect_min_s = reconnect_min_s
        self._reconnect_max_s = reconnect_max_s
        self._silence_timeout_s = silence_timeout_s
        self._ws: Any = None
        self._closed = asyncio.Event()
        self._finished = False
        self._ever_connected = False
        self._disconnected_at: datetime | None = None
        self._failures = 0
        self._last_frame = 0.0
        self._iterating = False
        self._pending_connected: E | None = None
        self._ready: deque[E] = deque()  # decoded events not handed out yet (a frame may make several)
        self._watchdog: asyncio.TimerHandle | None = None  # fires when the connection may have gone silent
        self._receiving: asyncio.Task[Any] | None = None  # the task awaiting recv(), for the watchdog
        self._silent = False

    # --- what a subclass provides

    async def _open(self) -> Any:
        """Open the connection (a websockets client connection)."""
        raise NotImplementedError

    def _subscription_messages(self) -> list[dict[str, Any]]:
        """Every subscription frame to (re)send after connecting."""
        raise NotImplementedError

    def _decode(self, frame: str | bytes) -> list[E]:
        """The events of one received frame (none for frames to skip); must not raise."""
        raise NotImplementedError

    def _connected_event(self, *, reconnected: bool, disconnected_at: datetime | None, connected_at: datetime) -> E:
        raise NotImplementedError

    def _disconnected_event(self, *, at: datetime, reason: str) -> E:
        raise NotImplementedError

    def _on_lost(self) -> list[E]:
        """Events to hand out before the disconnected event when the connection is lost (default none)."""
        return []

    # --- state

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def _send(self, message: dict[str, Any]) -> None:
        """Send now when connected; a failure is left to the reconnect, which re-sends everything."""
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(json.dumps(message))
        except (ConnectionClosed, OSError) as exc:
            logger.debug("%s: send failed (%s); re-sent after reconnecting", self.log_prefix, type(exc).__name__)

    # --- lifecycle

    async def close(self) -> None:
        """Close the connection cleanly; the iterator then ends (StopAsyncIteration)."""
        self._closed.set()
        self._unwatch()
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    async def __anext__(self) -> E:
        if self._iterating:
            raise RuntimeError(f"{type(self).__name__} supports only one iterating task at a time")
        self._iterating = True
        try:
            return await self._next_event()
        finally:
            self._iterating = False

    async def _next_event(self) -> E:
        while True:
            if self._closed.is_set() or self._finished:
                self._finished = True
                raise StopAsyncIteration
            pending = self._pending_connected
            if pending is not None:  # a previous __anext__ was cancelled while re-subscribing
                self._pending_connected = None
                return pending
            if self._ready:
                return self._ready.popleft()
            if self._ws is None:
                connected = await self._reconnect()
                if connected is not None:
                    return connected
                continue
            event = await self._receive()
            if event is not None:
                return event

    async def _reconnect(self) -> E | None:
        if self._ever_connected or self._failures:
            delay = random.uniform(0, min(self._reconnect_max_s, self._reconnect_min_s * 2 ** self._failures))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), delay)
            if self._closed.is_set():
                return None
        try:
            ws = await self._open()
        except self.fatal:
            self._finished = True
            raise
        except self.retryable as exc:
            self._failures += 1
            logger.debug("%s: connect failed (%s), attempt %d", self.log_prefix, type(exc).__name__,
                         self._failures)
            return None
        if self._closed.is_set():  # close() was called while connecting
            with contextlib.suppress(Exception):
                await ws.close()
            return None
        self._ws = ws
        self._last_frame = asyncio.get_running_loop().time()
        reconnected = self._ever_connected
        self._ever_connected = True
        self._pending_connected = self._connected_event(
            reconnected=reconnected, disconnected_at=self._disconnected_at if reconnected else None,
            connected_at=utc_now())
        # Shielded: a cancelled __anext__ must not leave the subscriptions half re-sent.
        await asyncio.shield(self._resubscribe())
        connected = self._pending_connected
        self._pending_connected = None
        return connected

    async def _resubscribe(self) -> None:
        for message in self._subscription_messages():
            await self._send(message)

    def _silence_left(self, ws: Any) -> float:
        last = max(self._last_frame, getattr(ws, "last_activity", 0.0))
        return last + self._silence_timeout_s - asyncio.get_running_loop().time()

    def _watch(self, ws: Any) -> None:
        """Arm the silence watchdog for this connection (one timer, re-armed only when it fires: nothing per frame)."""
        if self._watchdog is None:
            loop = asyncio.get_running_loop()
            self._watchdog = loop.call_at(loop.time() + max(0.0, self._silence_left(ws)), self._check_silence, ws)

    def _check_silence(self, ws: Any) -> None:
        self._watchdog = None
        if ws is not self._ws:
            return
        remaining = self._silence_left(ws)
        if remaining > 0:
            self._watch(ws)  # something arrived meanwhile: look again when it would be silent
            return
        self._silent = True
        if self._receiving is not None:
            self._receiving.cancel()  # interrupts the pending recv() (safe: websockets loses no data)

    def _unwatch(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    async def _receive(self) -> E | None:
        ws = self._ws
        task = asyncio.current_task()
        try:
            while True:
                if self._silent or self._silence_left(ws) <= 0:
                    self._silent = False
                    return await self._lose(f"nothing received for {self._silence_timeout_s:g} s")
                self._watch(ws)
                self._receiving = task
                try:
                    frame = await ws.recv()
                except asyncio.CancelledError:
                    # the watchdog's cancel (and no other) means silence: handled at the top of the loop
                    if self._silent and task is not None and task.uncancel() == 0:
                        continue
                    raise
                finally:
                    self._receiving = None
                self._last_frame = asyncio.get_running_loop().time()
                self._failures = 0
                self._ready.extend(self._decode(frame))
                if self._ready:  # also what a subclass queued meanwhile (e.g. a refused subscription)
                    return self._ready.popleft()
        except ConnectionClosed as exc:
            if self._closed.is_set():
                return None
            return await self._lose(f"connection closed ({exc.rcvd.code if exc.rcvd else 'no close frame'})")
        except (OSError, WebSocketException) as exc:
            if self._closed.is_set():
                return None
            return await self._lose(f"connection error ({type(exc).__name__})")

    async def _lose(self, reason: str) -> E:
        self._unwatch()
        self._silent = False
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        self._disconnected_at = utc_now()
        logger.debug("%s: disconnected: %s", self.log_prefix, reason)
        lost = self._on_lost()
        disconnected = self._disconnected_event(at=self._disconnected_at, reason=reason)
        if not lost:
            return disconnected
        self._ready.extend([*lost[1:], disconnected])
        return lost[0]
