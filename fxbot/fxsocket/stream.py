"""FxSocketStream: the FxSocket WebSocket stream as an async iterator that reconnects and re-subscribes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as websockets_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.frames import Frame
from websockets.protocol import Event

from fxbot.fxsocket.errors import ForbiddenError, InvalidArgumentError, UnauthorizedError
from fxbot.fxsocket.events import StreamConnected, StreamDisconnected, StreamEvent
from fxbot.fxsocket.frames import MalformedHook, decode_frame
from fxbot.fxsocket.transport import check_api_key

logger = logging.getLogger(__name__)

ConnectFn = Callable[..., Awaitable[Any]]


class ActivityTrackingConnection(ClientConnection):
    """A websockets client connection that records when any frame (data, ping, pong) last arrived."""

    last_activity: float = 0.0

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame):
            self.last_activity = self.loop.time()
        super().process_event(event)


def _now() -> datetime:
    return datetime.now(UTC)


class FxSocketStream:
    """Typed events from `/v1/stream`; survives disconnects on its own.

    Subscriptions may be added at any time (before or after the connection is up); they are
    remembered and re-sent on every reconnection. The connection is opened by the first
    `__anext__` (or `__aenter__`). After any disconnect (server close, network error, nothing
    received for `silence_timeout_s` — frames and pings both count) the iterator yields
    `StreamDisconnected`, reconnects with exponential backoff and full jitter, re-sends the
    subscriptions and yields `StreamConnected(reconnected=True, disconnected_at=...)`.

    Decision on auth failures: a 401 (or 403) on the upgrade is not retried — the iterator raises
    `UnauthorizedError` (`ForbiddenError`) once and then ends. Other upgrade failures are retried.
    Only one task may iterate at a time. `close()` ends the iterator cleanly.
    """

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        silence_timeout_s: float = 60.0,
        connect: ConnectFn = websockets_connect,
        on_malformed: MalformedHook | None = None,
    ) -> None:
        check_api_key(api_key)
        if not url.startswith(("ws://", "wss://")):
            raise ValueError("stream url must start with ws:// or wss://")
        self._url = url
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._reconnect_min_s = reconnect_min_s
        self._reconnect_max_s = reconnect_max_s
        self._silence_timeout_s = silence_timeout_s
        self._connect = connect
        self._on_malformed = on_malformed  # an order/account frame could not be read: its event is lost
        self._quotes: dict[str, str | None] = {}  # symbol -> account_id
        self._orders: set[str | None] = set()
        self._account: set[str | None] = set()
        self._ws: Any = None
        self._closed = asyncio.Event()
        self._finished = False
        self._ever_connected = False
        self._disconnected_at: datetime | None = None
        self._failures = 0
        self._last_frame = 0.0
        self._iterating = False
        self._pending_connected: StreamConnected | None = None

    def __repr__(self) -> str:
        return f"FxSocketStream(url={self._url!r}, connected={self._ws is not None})"

    @property
    def connected(self) -> bool:
        return self._ws is not None

    # --- subscriptions

    @staticmethod
    def _clean_symbols(symbols: Iterable[str]) -> list[str]:
        if isinstance(symbols, str):
            symbols = [symbols]
        cleaned = []
        for symbol in symbols:
            if not isinstance(symbol, str) or not symbol.strip():
                raise InvalidArgumentError("symbols must be non-empty strings")
            cleaned.append(symbol.strip().upper())
        if not cleaned:
            raise InvalidArgumentError("give at least one symbol")
        return list(dict.fromkeys(cleaned))

    async def subscribe_quotes(self, symbols: Iterable[str], *, account_id: str | None = None) -> None:
        cleaned = self._clean_symbols(symbols)
        for symbol in cleaned:
            self._quotes[symbol] = account_id
        await self._send(self._subscribe_message("quotes", account_id, cleaned))

    async def unsubscribe_quotes(self, symbols: Iterable[str]) -> None:
        cleaned = self._clean_symbols(symbols)
        for symbol in cleaned:
            self._quotes.pop(symbol, None)
        await self._send({"action": "unsubscribe", "channel": "quotes", "symbols": cleaned})

    async def subscribe_orders(self, *, account_id: str | None = None) -> None:
        self._orders.add(account_id)
        await self._send(self._subscribe_message("orders", account_id))

    async def subscribe_account(self, *, account_id: str | None = None) -> None:
        self._account.add(account_id)
        await self._send(self._subscribe_message("account", account_id))

    @staticmethod
    def _subscribe_message(channel: str, account_id: str | None, symbols: list[str] | None = None
                           ) -> dict[str, Any]:
        message: dict[str, Any] = {"action": "subscribe", "channel": channel}
        if symbols is not None:
            message["symbols"] = symbols
        if account_id is not None:
            message["account_id"] = account_id
        return message

    def _subscription_messages(self) -> list[dict[str, Any]]:
        by_account: dict[str | None, list[str]] = {}
        for symbol, account_id in self._quotes.items():
            by_account.setdefault(account_id, []).append(symbol)
        messages = [self._subscribe_message("quotes", acc, syms) for acc, syms in by_account.items()]
        messages += [self._subscribe_message("orders", acc) for acc in self._orders]
        messages += [self._subscribe_message("account", acc) for acc in self._account]
        return messages

    async def _send(self, message: dict[str, Any]) -> None:
        """Send now when connected; a failure is left to the reconnect, which re-sends everything."""
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(json.dumps(message))
        except (ConnectionClosed, OSError) as exc:
            logger.debug("fxsocket stream: send failed (%s); re-sent after reconnecting", type(exc).__name__)

    # --- lifecycle

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection cleanly; the iterator then ends (StopAsyncIteration)."""
        self._closed.set()
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()

    def __aiter__(self) -> FxSocketStream:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._iterating:
            raise RuntimeError("FxSocketStream supports only one iterating task at a time")
        self._iterating = True
        try:
            return await self._next_event()
        finally:
            self._iterating = False

    async def _next_event(self) -> StreamEvent:
        while True:
            if self._closed.is_set() or self._finished:
                self._finished = True
                raise StopAsyncIteration
            pending = self._pending_connected
            if pending is not None:  # a previous __anext__ was cancelled while re-subscribing
                self._pending_connected = None
                return pending
            if self._ws is None:
                connected = await self._reconnect()
                if connected is not None:
                    return connected
                continue
            event = await self._receive()
            if event is not None:
                return event

    async def _reconnect(self) -> StreamConnected | None:
        if self._ever_connected or self._failures:
            delay = random.uniform(0, min(self._reconnect_max_s, self._reconnect_min_s * 2 ** self._failures))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), delay)
            if self._closed.is_set():
                return None
        try:
            ws = await self._open()
        except (UnauthorizedError, ForbiddenError):
            self._finished = True
            raise
        except (OSError, TimeoutError, WebSocketException) as exc:
            self._failures += 1
            logger.debug("fxsocket stream: connect failed (%s), attempt %d",
                         type(exc).__name__, self._failures)
            return None
        if self._closed.is_set():  # close() was called while connecting
            with contextlib.suppress(Exception):
                await ws.close()
            return None
        self._ws = ws
        self._last_frame = asyncio.get_running_loop().time()
        reconnected = self._ever_connected
        self._ever_connected = True
        self._pending_connected = StreamConnected(
            reconnected=reconnected, disconnected_at=self._disconnected_at if reconnected else None,
            connected_at=_now())
        # Shielded: a cancelled __anext__ must not leave the subscriptions half re-sent.
        await asyncio.shield(self._resubscribe())
        connected = self._pending_connected
        self._pending_connected = None
        return connected

    async def _resubscribe(self) -> None:
        for message in self._subscription_messages():
            await self._send(message)

    async def _open(self) -> Any:
        try:
            return await self._connect(
                self._url, additional_headers=self._headers, create_connection=ActivityTrackingConnection,
                open_timeout=10, ping_interval=20, ping_timeout=20, close_timeout=2,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 401:
                raise UnauthorizedError("unauthorized", "the stream refused the API key (HTTP 401)",
                                        status=401) from None
            if status == 403:
                raise ForbiddenError("forbidden", "the stream refused the API key's scope (HTTP 403)",
                                     status=403) from None
            raise

    def _silence_left(self, ws: Any) -> float:
        last = max(self._last_frame, getattr(ws, "last_activity", 0.0))
        return last + self._silence_timeout_s - asyncio.get_running_loop().time()

    async def _receive(self) -> StreamEvent | None:
        ws = self._ws
        try:
            while True:
                remaining = self._silence_left(ws)
                if remaining <= 0:
                    return await self._lose(f"nothing received for {self._silence_timeout_s:g} s")
                try:
                    async with asyncio.timeout(remaining):
                        frame = await ws.recv()
                except TimeoutError:
                    continue  # re-check: a ping may have arrived meanwhile
                self._last_frame = asyncio.get_running_loop().time()
                self._failures = 0
                event = decode_frame(frame, self._on_malformed)
                if event is not None:
                    return event
        except ConnectionClosed as exc:
            if self._closed.is_set():
                return None
            return await self._lose(f"connection closed ({exc.rcvd.code if exc.rcvd else 'no close frame'})")
        except (OSError, WebSocketException) as exc:
            if self._closed.is_set():
                return None
            return await self._lose(f"connection error ({type(exc).__name__})")

    async def _lose(self, reason: str) -> StreamDisconnected:
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        self._disconnected_at = _now()
        logger.debug("fxsocket stream: disconnected: %s", reason)
        return StreamDisconnected(at=self._disconnected_at, reason=reason)
