"""One account's terminal WebSocket under our own supervisor, its frames read by the SDK's parser into port events.

The SDK's own iterator gives up after five reconnects and ends on one bad frame; here the reconnect
policy is `SupervisedSocket`'s (backoff with jitter, silence timeout, subscriptions re-sent) and each
frame goes through `fxsocket.terminal.stream.parse_event` on its own, so a bad frame costs only itself:
- an unreadable `trade`/`positions`/`account` frame is reported to `on_events_lost` (the consumer
  reconciles that channel); any other unreadable frame, and a `warning` (the server dropped frames for
  a slow client), is reported as a gap: `StreamDisconnected` + `StreamConnected(reconnected=True)`.
- the `terminal` topic is always subscribed: about one frame a second keeps the silence timeout
  honest and the server clock followed; a terminal that loses its broker says so (`StreamErrorEvent
  terminal_disconnected`) and its return is a gap (what it missed is for REST reconciliation).
The key goes in the URL's `?api_key=` (the protocol's only way); that URL is never logged or shown.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from fxsocket.terminal import stream as sdk_stream
from websockets.asyncio.client import connect as websockets_connect
from websockets.exceptions import InvalidStatus, WebSocketException

from fxbot.backends import sdk_mapping as mapping
from fxbot.backends.sdk_context import AccountContext, KeyContext
from fxbot.backends.sdk_events import OrderEventDeriver
from fxbot.domain.broker.errors import (
    AccessRefusedError,
    AccountDisconnectedError,
    BrokerError,
    KeyRefusedError,
    NotFoundError,
    ScopeRefusedError,
)
from fxbot.domain.broker.events import (
    AccountUpdateEvent,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamErrorEvent,
    StreamEvent,
    SubscriptionEvent,
)
from fxbot.domain.broker.ports import LostChannel, StreamSettings
from fxbot.domain.broker.symbols import UnknownSymbolError
from fxbot.fxsocket.supervisor import ActivityTrackingConnection, ConnectFn, SupervisedSocket, utc_now

log = logging.getLogger(__name__)

Topic = tuple[str, str | None]  # (topic, canonical symbol for `prices`)
_LOST_CHANNELS: dict[str, LostChannel] = {"trade": "orders", "positions": "orders", "account": "account"}
_CHANNELS = {"prices": "quotes", "trades": "orders", "account": "account"}  # acks reported to the consumer
ALWAYS: Topic = ("terminal", None)


def with_api_key(ws_url: str, api_key: str) -> str:
    """The stream URL with `api_key` in its query (as the SDK builds it). Never log the result."""
    parts = urlparse(ws_url)
    params = dict(parse_qsl(parts.query))
    params["api_key"] = api_key
    return urlunparse(parts._replace(query=urlencode(params)))


def _unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class AccountSocket(SupervisedSocket[StreamEvent]):
    """Port events of one account's terminal stream (`subscribe`/`unsubscribe` are remembered and replayed)."""

    log_prefix: ClassVar[str] = "fxsocket sdk stream"
    fatal: ClassVar[tuple[type[BaseException], ...]] = (AccessRefusedError, NotFoundError)
    retryable: ClassVar[tuple[type[BaseException], ...]] = (OSError, TimeoutError, WebSocketException, BrokerError)

    def __init__(self, key: KeyContext, account_id: str, settings: StreamSettings, *,
                 connect: ConnectFn = websockets_connect) -> None:
        super().__init__(reconnect_min_s=settings.reconnect_min_s, reconnect_max_s=settings.reconnect_max_s,
                         silence_timeout_s=settings.silence_timeout_s)
        self._key = key
        self.account_id = account_id
        self._connect = connect
        self._on_events_lost: Callable[[LostChannel], None] | None = settings.on_events_lost
        self._topics: dict[Topic, None] = {ALWAYS: None}
        self._acks: deque[tuple[str, str | None, bool]] = deque()  # (topic, symbol, subscribe?) awaiting an answer
        self._context: AccountContext | None = None
        self._deriver: OrderEventDeriver | None = None
        self._last_good_at: datetime | None = None
        self._broker_connected: bool | None = None
        self._broker_down_at: datetime | None = None

    def __repr__(self) -> str:
        return f"AccountSocket(account={self.account_id!r}, topics={len(self._topics)}, connected={self.connected})"

    def __aiter__(self) -> AccountSocket:
        return self

    # --- subscriptions

    def has(self, topic: str, symbol: str | None = None) -> bool:
        return (topic, symbol) in self._topics

    async def subscribe(self, topic: str, symbol: str | None = None) -> None:
        self._topics[(topic, symbol)] = None
        await self._send_topic("subscribe", topic, symbol)

    async def unsubscribe(self, topic: str, symbol: str | None = None) -> None:
        if self._topics.pop((topic, symbol), "absent") == "absent":
            return
        await self._send_topic("unsubscribe", topic, symbol)

    async def _send_topic(self, action: str, topic: str, symbol: str | None) -> None:
        if self._ws is None:
            return  # sent with the others once connected
        message = self._message(action, topic, symbol)
        if message is not None:
            await self._send(message)

    def _message(self, action: str, topic: str, symbol: str | None) -> dict[str, Any] | None:
        """The frame for a topic (None, and an error event queued, for a symbol the broker does not have)."""
        message: dict[str, Any] = {"action": action, "topic": topic}
        if symbol is not None:
            symbols = self._context.cached_symbols() if self._context is not None else None
            if symbols is None:
                return None
            try:
                message["symbol"] = symbols.resolve(symbol, account_id=self.account_id)
            except UnknownSymbolError as exc:  # said once; not asked again after a reconnect
                self._topics.pop((topic, symbol), None)
                self._ready.append(StreamErrorEvent(exc.code, exc.message))
                return None
        self._acks.append((topic, symbol, action == "subscribe"))
        return message

    def _subscription_messages(self) -> list[dict[str, Any]]:
        self._acks.clear()
        messages = [self._message("subscribe", topic, symbol) for topic, symbol in list(self._topics)]
        return [m for m in messages if m is not None]

    # --- connection

    async def _open(self) -> Any:
        context = await self._key.account(self.account_id)
        symbols = await context.symbols()
        clock = await context.clock(fresh=True)
        if not context.account.ws_url:
            raise AccountDisconnectedError(f"account {self.account_id} has no terminal stream yet (provisioning)")
        if self._deriver is None:
            self._deriver = OrderEventDeriver(self.account_id, symbols, clock)
        else:
            self._deriver.use(symbols, clock)
        self._context = context
        self._broker_connected = None
        extra: dict[str, Any] = {}
        if context.account.ws_url.startswith("wss://") and not self._key.verify_terminal_tls:
            extra["ssl"] = _unverified_tls()
        try:
            return await self._connect(
                with_api_key(context.account.ws_url, self._key.secret), create_connection=ActivityTrackingConnection,
                open_timeout=10, ping_interval=20, ping_timeout=20, close_timeout=2, **extra,
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status == 401:
                refused = KeyRefusedError("the terminal stream refused the API key (HTTP 401)", status=401)
                raise await self._key.terminal_refusal(self.account_id, refused) from None
            if status == 403:
                raise ScopeRefusedError("the terminal stream refused the API key's scope (HTTP 403)",
                                        status=403) from None
            if status == 404:
                raise NotFoundError(f"account {self.account_id} has no terminal stream (HTTP 404)",
                                    status=404) from None
            raise  # 503 while the terminal restarts, …: retried

    def _on_lost(self) -> list[StreamEvent]:
        self._acks.clear()
        self._broker_connected = None
        return list(self._deriver.reset()) if self._deriver is not None else []

    def _connected_event(self, *, reconnected: bool, disconnected_at: datetime | None,
                         connected_at: datetime) -> StreamEvent:
        self._last_good_at = connected_at
        return StreamConnected(reconnected=reconnected, disconnected_at=disconnected_at, connected_at=connected_at)

    def _disconnected_event(self, *, at: datetime, reason: str) -> StreamEvent:
        return StreamDisconnected(at=at, reason=f"account {self.account_id}: {reason}")

    # --- frames

    def _decode(self, frame: str | bytes) -> list[StreamEvent]:
        if not isinstance(frame, str):
            return []
        try:
            message = json.loads(frame)
        except ValueError:
            log.debug("sdk stream of account %s: skipping a frame that is not JSON", self.account_id)
            return []
        if not isinstance(message, dict):
            return []
        kind = str(message.get("type") or "")
        try:
            event = sdk_stream.parse_event(message)
            events = self._translate(event)
        except Exception as exc:  # the SDK's strict models, or a value we cannot map: this frame only
            return self._unreadable(kind, exc)
        if not isinstance(event, sdk_stream.StreamWarning):
            self._last_good_at = utc_now()
        return events

    def _translate(self, event: sdk_stream.StreamEvent) -> list[StreamEvent]:
        context, deriver = self._context, self._deriver
        assert context is not None and deriver is not None
        if isinstance(event, sdk_stream.Tick):
            symbols, clock = context.cached_symbols(), context.cached_clock()
            assert symbols is not None and clock is not None
            spec = context.cached_spec(event.data.symbol)
            return [QuoteEvent(mapping.quote(event.data, symbols, clock, self.account_id, spec))]
        if isinstance(event, sdk_stream.AccountUpdate):
            return [AccountUpdateEvent(self.account_id, mapping.account(event.data, self.account_id))]
        if isinstance(event, sdk_stream.PositionsUpdate):
            return list(deriver.on_positions(event.data))
        if isinstance(event, sdk_stream.TradeUpdate):
            return list(deriver.on_trade(event.data))
        if isinstance(event, sdk_stream.TerminalUpdate):
            context.observe_server_time(event.data.server_time)
            return self._terminal(event.data.connected)
        if isinstance(event, sdk_stream.StreamWarning):
            log.warning("sdk stream of account %s: the server dropped %d frames", self.account_id, event.dropped)
            return self._gap(f"the server dropped {event.dropped} frames of account {self.account_id}")
        if isinstance(event, sdk_stream.Subscribed | sdk_stream.Unsubscribed):
            return self._ack(event.topic, subscribed=isinstance(event, sdk_stream.Subscribed))
        if isinstance(event, sdk_stream.StreamErrorEvent):
            self._take_ack(event.topic)
            return [StreamErrorEvent(event.topic or "error", event.message)]
        return []  # bars (never subscribed), subscription lists, unknown types

    def _unreadable(self, kind: str, exc: Exception) -> list[StreamEvent]:
        log.warning("sdk stream of account %s: skipped an unreadable %r frame (%s)", self.account_id, kind or "?",
                    type(exc).__name__)
        channel = _LOST_CHANNELS.get(kind)
        if channel is not None and self._on_events_lost is not None:
            self._on_events_lost(channel)
            return []
        return self._gap(f"an unreadable {kind or 'untyped'} frame of account {self.account_id} was skipped")

    def _gap(self, reason: str) -> list[StreamEvent]:
        """Events were lost while the socket stayed up: report a gap since the last good frame."""
        since = self._last_good_at or utc_now()
        held = list(self._deriver.reset()) if self._deriver is not None else []
        return [*held, StreamDisconnected(at=since, reason=reason),
                StreamConnected(reconnected=True, disconnected_at=since, connected_at=utc_now())]

    def _terminal(self, connected: bool) -> list[StreamEvent]:
        was, self._broker_connected = self._broker_connected, connected
        if was is True and not connected:
            self._broker_down_at = utc_now()
            return [StreamErrorEvent("terminal_disconnected",
                                     f"the terminal of account {self.account_id} lost its connection to the broker")]
        if was is False and connected:
            since = self._broker_down_at or utc_now()
            held = list(self._deriver.reset()) if self._deriver is not None else []
            return [*held, StreamDisconnected(at=since, reason=f"the terminal of account {self.account_id} was "
                                                             "disconnected from its broker"),
                    StreamConnected(reconnected=True, disconnected_at=since, connected_at=utc_now())]
        return []

    def _take_ack(self, topic: str, subscribed: bool | None = None) -> tuple[str, str | None, bool] | None:
        for entry in self._acks:
            if entry[0] == topic and (subscribed is None or entry[2] == subscribed):
                self._acks.remove(entry)
                return entry
        return None

    def _ack(self, topic: str, *, subscribed: bool) -> list[StreamEvent]:
        entry = self._take_ack(topic, subscribed)
        channel = _CHANNELS.get(topic)
        if channel is None:
            return []
        symbols = (entry[1],) if entry is not None and entry[1] is not None else None
        return [SubscriptionEvent(subscribed, channel, symbols)]
