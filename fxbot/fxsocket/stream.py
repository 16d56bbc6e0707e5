"""FxSocketStream: the FxSocket WebSocket stream as an async iterator that reconnects and re-subscribes."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Self

from websockets.asyncio.client import connect as websockets_connect
from websockets.exceptions import InvalidStatus

from fxbot.fxsocket.errors import ForbiddenError, InvalidArgumentError, UnauthorizedError
from fxbot.fxsocket.events import StreamConnected, StreamDisconnected, StreamEvent
from fxbot.fxsocket.frames import MalformedHook, decode_frame
from fxbot.fxsocket.supervisor import ActivityTrackingConnection, ConnectFn, SupervisedSocket
from fxbot.fxsocket.transport import check_api_key

logger = logging.getLogger(__name__)

__all__ = ["ActivityTrackingConnection", "ConnectFn", "FxSocketStream"]


class FxSocketStream(SupervisedSocket[StreamEvent]):
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

    log_prefix: ClassVar[str] = "fxsocket stream"
    fatal: ClassVar[tuple[type[BaseException], ...]] = (UnauthorizedError, ForbiddenError)

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
        super().__init__(reconnect_min_s=reconnect_min_s, reconnect_max_s=reconnect_max_s,
                         silence_timeout_s=silence_timeout_s)
        self._url = url
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._connect = connect
        self._on_malformed = on_malformed  # an order/account frame could not be read: its event is lost
        self._quotes: dict[str, str | None] = {}  # symbol -> account_id
        self._orders: set[str | None] = set()
        self._account: set[str | None] = set()

    def __repr__(self) -> str:
        return f"FxSocketStream(url={self._url!r}, connected={self._ws is not None})"

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

    # --- lifecycle

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def __aiter__(self) -> FxSocketStream:
        return self

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

    def _decode(self, frame: str | bytes) -> list[StreamEvent]:
        event = decode_frame(frame, self._on_malformed)
        return [] if event is None else [event]

    def _connected_event(self, *, reconnected: bool, disconnected_at: datetime | None,
                         connected_at: datetime) -> StreamEvent:
        return StreamConnected(reconnected=reconnected, disconnected_at=disconnected_at, connected_at=connected_at)

    def _disconnected_event(self, *, at: datetime, reason: str) -> StreamEvent:
        return StreamDisconnected(at=at, reason=reason)
