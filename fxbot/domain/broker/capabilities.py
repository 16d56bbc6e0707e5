"""Optional broker capabilities: what some backends offer beyond the `Broker` port, each as its own protocol.

A caller tests a broker with `isinstance(broker, SupportsMarginCalc)` (the protocols are runtime
checkable) and falls back to its own estimate when the backend lacks it. The `/v1` backend offers none;
the SDK backend offers all four.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from fxbot.domain.broker.enums import OrderType
from fxbot.domain.broker.models import BrokerModel, UtcDatetime
from fxbot.domain.broker.orders import OrderRequest
from fxbot.domain.broker.symbols import SymbolSpec


class MarginEstimate(BrokerModel):
    """The margin the broker would take for an order, in the account's currency."""

    symbol: str
    type: OrderType
    volume: float
    price: float
    margin: float
    currency: str


class TerminalStatus(BrokerModel):
    """The health of an account's MetaTrader terminal, as the terminal reports it.

    `status` is `ready`, `starting`, `degraded` or `down`. `ea_heartbeat_age_s` is how long ago the
    trading EA last made progress (None: it never registered); a large age while `trade_ea_ready`
    means the EA is stuck.
    """

    account_id: str
    status: str
    terminal_alive: bool
    broker_connected: bool
    logged_in: bool
    trade_allowed: bool
    trade_ea_ready: bool
    broker_server: str | None = None
    ea_heartbeat_age_s: float | None = None
    ping_ms: int | None = None
    terminal_build: int | None = None
    bridge_version: str | None = None
    server_time: UtcDatetime | None = None

    @property
    def ready(self) -> bool:
        return self.status == "ready"


class ClosedItem(BrokerModel):
    """One position closed (or pending order deleted) by a close-all, or why it was not."""

    id: str
    kind: Literal["position", "pending"]
    closed: bool
    code: str | None = None  # a rejection code (see REJECTION_CODES) when not closed
    reason: str | None = None


class CloseAllResult(BrokerModel):
    """What a close-all did: how many matched, were closed and failed, item by item."""

    requested: int
    closed: int
    failed: int
    items: list[ClosedItem]


@runtime_checkable
class SupportsSymbolSpecs(Protocol):
    """The broker's own symbol list and per-symbol specification (volume limits, digits, trade mode)."""

    async def list_symbols(self, *, account_id: str | None = None) -> list[str]: ...

    async def symbol_spec(self, symbol: str, *, account_id: str | None = None) -> SymbolSpec: ...


@runtime_checkable
class SupportsMarginCalc(Protocol):
    """The broker's own margin figure for an order before it is sent."""

    async def calc_margin(self, request: OrderRequest, *, account_id: str | None = None) -> MarginEstimate: ...


@runtime_checkable
class SupportsTerminalStatus(Protocol):
    """The account terminal's health (broker connection, EA heartbeat) for `/status`."""

    async def terminal_status(self, *, account_id: str | None = None) -> TerminalStatus: ...


@runtime_checkable
class SupportsCloseAll(Protocol):
    """Close every position (of one symbol, or all) in one broker-side pass; pending orders too when asked.

    A write like `close_order`: never resent; an uncertain outcome is `OutcomeUnknownError` (the pass
    may still be running on the broker's side)."""

    async def close_all(self, *, symbol: str | None = None, include_pending: bool = False,
                        account_id: str | None = None) -> CloseAllResult: ...
