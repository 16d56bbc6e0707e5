"""The Broker and BrokerStream protocols the bot depends on (FxSocketClient/FxSocketStream implement them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from fxbot.fxsocket.events import StreamEvent
from fxbot.fxsocket.models import (
    Account,
    AccountSummary,
    CandleSeries,
    CloseResult,
    HistoryPage,
    ModifyResult,
    OrderChanges,
    OrderRequest,
    OrderResult,
    PendingOrder,
    Position,
    Quote,
    Side,
    Timeframe,
)


@runtime_checkable
class Broker(Protocol):
    """REST operations on a trading account; every call takes `account_id` (None: the key's first)."""

    async def get_account(self, *, account_id: str | None = None) -> Account: ...

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]: ...

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]: ...

    async def get_orders(self, *, account_id: str | None = None) -> list[PendingOrder]: ...

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult: ...

    async def modify_order(
        self, order_id: str, changes: OrderChanges, *, account_id: str | None = None
    ) -> ModifyResult: ...

    async def close_order(
        self, order_id: str, *, volume: float | None = None, account_id: str | None = None
    ) -> CloseResult: ...

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote: ...

    async def get_candles(
        self,
        symbol: str,
        *,
        timeframe: Timeframe = Timeframe.H1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        account_id: str | None = None,
    ) -> CandleSeries: ...

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
    ) -> HistoryPage: ...


@runtime_checkable
class BrokerStream(Protocol):
    """A live event stream: remembered subscriptions, typed events, reconnects on its own."""

    async def subscribe_quotes(self, symbols: Iterable[str], *, account_id: str | None = None) -> None: ...

    async def unsubscribe_quotes(self, symbols: Iterable[str]) -> None: ...

    async def subscribe_orders(self, *, account_id: str | None = None) -> None: ...

    async def subscribe_account(self, *, account_id: str | None = None) -> None: ...

    async def close(self) -> None: ...

    def __aiter__(self) -> BrokerStream: ...

    async def __anext__(self) -> StreamEvent: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
