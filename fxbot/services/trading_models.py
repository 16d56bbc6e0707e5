"""Value objects of the trading use cases: tickets, prepared orders, modify/close requests, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fxbot.domain.broker import (
    Account,
    CloseResult,
    ModifyResult,
    OrderRequest,
    OrderResult,
    OrderType,
    PendingOrder,
    Position,
)
from fxbot.services.close_filters import CloseFilter
from fxbot.services.multi_tp import TpLeg
from fxbot.services.pretrade import PreTradeCard, StopInput
from fxbot.services.risk_sizing import RiskInput


@dataclass(frozen=True, slots=True)
class OrderTicket:
    """An order as the user asked for it: stops may still be distances in pips. A stop-limit order's `price`
    is its stop (trigger) price and `stop_limit` the limit price placed once the stop trades."""

    symbol: str
    order_type: OrderType
    volume: float
    price: float | None = None
    sl: StopInput | None = None
    tp: StopInput | None = None
    stop_limit: float | None = None
    risk: RiskInput | None = None  # size the order from the money at risk (then `volume` is ignored)
    take_profits: tuple[TpLeg, ...] = ()  # two or more: a multi-TP order (then `tp` is ignored)


@dataclass(frozen=True, slots=True)
class PreparedOrder:
    """A checked order ready to send: the card shown to the user and the exact request that will go out."""

    card: PreTradeCard
    request: OrderRequest
    key_id: int
    account_id: str | None
    legs: tuple[OrderRequest, ...] = ()  # a multi-TP order: these are sent, one order each, instead of `request`


@dataclass(frozen=True, slots=True)
class LegOutcome:
    """One leg of a multi-TP order: FxSocket's answer, or why it failed or was not sent."""

    request: OrderRequest
    result: OrderResult | None
    error: str | None = None
    outcome_unknown: bool = False


@dataclass(frozen=True, slots=True)
class StopEdit:
    """A requested change of one stop in /modify: a new level (price or pips), or `stop=None` to clear it."""

    stop: StopInput | None


@dataclass(frozen=True, slots=True)
class ModifyOutcome:
    """What /modify changed: the target (position or pending order) and FxSocket's answer."""

    ref: str
    symbol: str
    kind: Literal["position", "order"]
    label: str  # "BUY 0.10 EURUSD" / "BUY_LIMIT 0.10 EURUSD"
    result: ModifyResult


@dataclass(frozen=True, slots=True)
class AccountPositions:
    """The chat's account and its open positions."""

    account: Account
    positions: list[Position]


@dataclass(frozen=True, slots=True)
class AccountOrders:
    """The chat's account and its pending orders."""

    account: Account
    orders: list[PendingOrder]


CloseTargetKind = Literal["id", "symbol", "all", "filter"]


@dataclass(frozen=True, slots=True)
class ClosePlan:
    """The positions a /close will close (volume only for a partial close of one position)."""

    target: str  # what the user typed, canonicalised: an id, a symbol or "all"
    kind: CloseTargetKind
    positions: list[Position]
    volume: float | None
    key_id: int
    account_id: str | None
    currency: str
    filter: CloseFilter | None = None  # a filtered close (/close EURUSD losers)
    note: str | None = None  # why the volume differs from what was asked (a remainder below the minimum)

    @property
    def several(self) -> bool:
        return len(self.positions) > 1

    @property
    def needs_card(self) -> bool:
        """Several positions, or a narrowed filter (side, winners/losers): one confirmation card first."""
        return self.several or (self.filter is not None and self.filter.is_narrowed)


@dataclass(frozen=True, slots=True)
class CloseOutcome:
    """One position's close: FxSocket's answer, or the plain reason it failed."""

    position: Position
    result: CloseResult | None
    error: str | None = None
    outcome_unknown: bool = False

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """A cancelled pending order and FxSocket's answer."""

    order: PendingOrder
    result: CloseResult


@dataclass(frozen=True, slots=True)
class CancelPlan:
    """The pending orders a `/cancel all` or `/cancel SYMBOL` will cancel."""

    target: str  # "all" or a symbol
    orders: list[PendingOrder]
    key_id: int
    account_id: str | None


@dataclass(frozen=True, slots=True)
class CancelItemOutcome:
    """One order of a cancel plan: FxSocket's answer, or the plain reason it failed (maybe unknown)."""

    order: PendingOrder
    result: CloseResult | None
    error: str | None = None
    outcome_unknown: bool = False


@dataclass(frozen=True, slots=True)
class ReversePlan:
    """A /reverse: close `position`, then open the opposite side with the same volume at the market."""

    position: Position
    key_id: int
    account_id: str | None
    currency: str

    @property
    def request(self) -> OrderRequest:
        opposite = OrderType.SELL if self.position.type.value == "BUY" else OrderType.BUY
        return OrderRequest(symbol=self.position.symbol, type=opposite, volume=self.position.volume)


@dataclass(frozen=True, slots=True)
class ReverseOutcome:
    """Both legs of a /reverse: the close (always tried first) and the opening order (only if the close
    was confirmed); errors are plain reasons, nothing is ever resent."""

    close: CloseOutcome
    opened: OrderResult | None = None
    open_error: str | None = None
    open_unknown: bool = False
