"""The `/v1` backend: FxSocketClient / FxSocketStream behind the broker port (Broker, BrokerStream)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from fxbot.backends import v1_mapping as mapping
from fxbot.backends.v1_mapping import port_errors_only
from fxbot.domain.broker.enums import Side, Timeframe
from fxbot.domain.broker.errors import UnreachableError
from fxbot.domain.broker.events import StreamEvent
from fxbot.domain.broker.factory import KeyKind
from fxbot.domain.broker.models import (
    Account,
    AccountSummary,
    CandleSeries,
    HistoryPage,
    PendingOrder,
    Position,
    Quote,
)
from fxbot.domain.broker.orders import CloseResult, ModifyResult, OrderChanges, OrderRequest, OrderResult
from fxbot.domain.broker.ports import StreamSettings
from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.fxsocket.stream import ConnectFn, FxSocketStream


class V1Broker:
    """A Broker over the `/v1` REST API: calls an FxSocketClient, returns port types, raises port errors.

    The client's pacing and retry policy apply unchanged (reads retried, writes never resent).
    """

    def __init__(self, client: FxSocketClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"V1Broker({self._client!r})"

    async def get_account(self, *, account_id: str | None = None) -> Account:
        with port_errors_only():
            return mapping.account(await self._client.get_account(account_id=account_id))

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]:
        with port_errors_only():
            found = await self._client.list_accounts(account_id=account_id)
        return [mapping.account_summary(a) for a in found]

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]:
        with port_errors_only():
            found = await self._client.get_positions(account_id=account_id)
        return [mapping.position(p) for p in found]

    async def get_orders(self, *, account_id: str | None = None) -> list[PendingOrder]:
        with port_errors_only():
            found = await self._client.get_orders(account_id=account_id)
        return [mapping.pending_order(o) for o in found]

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        body = mapping.wire_order_request(request)  # refuses stop-limit before anything is sent
        with port_errors_only():
            return mapping.order_result(await self._client.place_order(body, account_id=account_id))

    async def modify_order(
        self, order_id: str, changes: OrderChanges, *, account_id: str | None = None
    ) -> ModifyResult:
        with port_errors_only():
            result = await self._client.modify_order(order_id, mapping.wire_order_changes(changes),
                                                     account_id=account_id)
        return mapping.modify_result(result)

    async def close_order(
        self, order_id: str, *, volume: float | None = None, account_id: str | None = None
    ) -> CloseResult:
        with port_errors_only():
            return mapping.close_result(await self._client.close_order(order_id, volume=volume,
                                                                       account_id=account_id))

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        with port_errors_only():
            return mapping.quote(await self._client.get_quote(symbol, account_id=account_id))

    async def get_candles(
        self,
        symbol: str,
        *,
        timeframe: Timeframe = Timeframe.H1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        account_id: str | None = None,
    ) -> CandleSeries:
        with port_errors_only():
            series = await self._client.get_candles(symbol, timeframe=mapping.wire_timeframe(timeframe),
                                                    start=start, end=end, limit=limit, account_id=account_id)
        return mapping.candle_series(series)

    async def get_history(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        symbol: str | None = None,
        side: Side | None = None,
        limit: int | None = None,
        offset: int | None = None,
        account_id: str | None = None,
    ) -> HistoryPage:
        wire_side = mapping.wire_side(side) if side is not None else None
        with port_errors_only():
            page = await self._client.get_history(start=start, end=end, symbol=symbol, side=wire_side,
                                                  limit=limit, offset=offset, account_id=account_id)
        return mapping.history_page(page)


class V1Stream:
    """A BrokerStream over `/v1/stream`: FxSocketStream's reconnects and re-subscriptions, port events.

    A refused key ends iteration with `KeyRefusedError` (401) or `ScopeRefusedError` (403).
    """

    def __init__(self, stream: FxSocketStream) -> None:
        self._stream = stream

    def __repr__(self) -> str:
        return f"V1Stream({self._stream!r})"

    @property
    def connected(self) -> bool:
        return self._stream.connected

    async def subscribe_quotes(self, symbols: Iterable[str], *, account_id: str | None = None) -> None:
        with port_errors_only():
            await self._stream.subscribe_quotes(symbols, account_id=account_id)

    async def unsubscribe_quotes(self, symbols: Iterable[str]) -> None:
        with port_errors_only():
            await self._stream.unsubscribe_quotes(symbols)

    async def subscribe_orders(self, *, account_id: str | None = None) -> None:
        with port_errors_only():
            await self._stream.subscribe_orders(account_id=account_id)

    async def subscribe_account(self, *, account_id: str | None = None) -> None:
        with port_errors_only():
            await self._stream.subscribe_account(account_id=account_id)

    async def close(self) -> None:
        await self._stream.close()

    def __aiter__(self) -> V1Stream:
        return self

    async def __anext__(self) -> StreamEvent:
        with port_errors_only():
            event = await self._stream.__anext__()
        return mapping.event(event)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class V1Backend:
    """The BrokerBackend of `sk_` keys: one shared HTTP client and pacer for every client it makes.

    `connect` replaces the WebSocket connect function (tests). `aclose()` closes the HTTP client.
    """

    kind = KeyKind.V1

    def __init__(self, *, http: httpx.AsyncClient, base_url: str, stream_url: str,
                 pacer: RequestPacer | None = None, connect: ConnectFn | None = None) -> None:
        self._http = http
        self.base_url = base_url
        self.stream_url = stream_url
        self.pacer = pacer or RequestPacer()
        self._connect = connect

    def __repr__(self) -> str:
        return f"V1Backend(base_url={self.base_url!r}, stream_url={self.stream_url!r})"

    def client(self, secret: str) -> V1Broker:
        with port_errors_only():
            return V1Broker(FxSocketClient(self._http, api_key=secret, base_url=self.base_url, pacer=self.pacer))

    def stream(self, secret: str, settings: StreamSettings | None = None) -> V1Stream:
        settings = settings or StreamSettings()
        extra: dict[str, Any] = {"connect": self._connect} if self._connect is not None else {}
        lost = settings.on_events_lost
        if lost is not None:  # a malformed order/account frame: its event is lost, the consumer reconciles
            extra["on_malformed"] = lambda frame_type: lost(mapping.lost_channel(frame_type))
        with port_errors_only():
            stream = FxSocketStream(url=self.stream_url, api_key=secret, reconnect_min_s=settings.reconnect_min_s,
                                    reconnect_max_s=settings.reconnect_max_s,
                                    silence_timeout_s=settings.silence_timeout_s, **extra)
        return V1Stream(stream)

    async def probe(self, *, timeout_s: float = 5.0) -> None:
        """Check that the `/v1` API answers at all, with no key: any HTTP answer (a 401 is expected) means
        reachable; UnreachableError (its message the transport error's name) when nothing answered."""
        url = f"{self.base_url.rstrip('/').removesuffix('/v1')}/v1/accounts"
        try:
            await self._http.get(url, timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise UnreachableError(type(exc).__name__, write=False) from exc

    async def aclose(self) -> None:
        await self._http.aclose()
