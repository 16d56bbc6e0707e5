"""The Broker and BrokerStream ports: the only way the core talks to a trading account."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Literal, Protocol, Self, runtime_checkable

from fxbot.domain.broker.enums import Side, Timeframe
from fxbot.domain.broker.events import StreamEvent
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


@runtime_checkable
class Broker(Protocol):
    """REST operations on the accounts a key reaches; every call takes `account_id` (None: the key's first).

    Implementations raise only `fxbot.domain.broker.errors.BrokerError` subclasses. Writes
    (`place_order`, `modify_order`, `close_order`) are never resent once they may have reached the
    broker: an uncertain outcome is `OutcomeUnknownError`.
    """

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
    """A live event stream: remembered subscriptions, typed events, reconnects on its own.

    Subscriptions may be made before or after the connection is up and are re-sent after every
    reconnection. Iteration raises `AccessRefusedError` when the key is refused (not retried) and
    ends after `close()`. Only one task may iterate at a time.
    """

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


@runtime_checkable
class SupportsAclose(Protocol):
    """A broker client holding resources of its own (connections); whoever drops it awaits `aclose()`."""

    async def aclose(self) -> None: ...


async def close_broker(broker: Broker) -> None:
    """Release a broker client's own resources when it has any (a no-op for clients that share them)."""
    if isinstance(broker, SupportsAclose):
        await broker.aclose()


#: What a stream's events can be lost from while it stays connected: `orders` or `account`.
LostChannel = Literal["orders", "account"]


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """How a stream reconnects: backoff bounds and how long silence means a dead connection.

    `on_events_lost(channel)` is called, from inside iteration, when the backend dropped an event of
    `channel` (`orders` or `account`) it could not read while the connection stayed up (a malformed
    frame): the consumer reconciles that channel over REST. Losses it cannot pin to a channel are
    reported as a gap (`StreamConnected(reconnected=True)`) instead.
    """

    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    silence_timeout_s: float = 60.0
    on_events_lost: Callable[[LostChannel], None] | None = None

    def __post_init__(self) -> None:
        for name in ("reconnect_min_s", "reconnect_max_s", "silence_timeout_s"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must not be below reconnect_min_s")
