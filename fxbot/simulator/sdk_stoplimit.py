"""Stop-limit orders of the SDK face: held beside the engine until the stop price trades, then placed as limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fxbot.domain.instruments import InstrumentSpec


@dataclass(slots=True)
class StopLimitOrder:
    """A BuyStopLimit / SellStopLimit waiting for its stop price; prices in points, volume in 0.01 lots."""

    ticket: int
    account_id: str
    spec: InstrumentSpec
    side: str  # "BUY" | "SELL"
    units: int
    stop_pts: int
    limit_pts: int
    sl_pts: int | None
    tp_pts: int | None
    created_at: datetime
    magic: int = 0
    comment: str = ""

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def operation(self) -> str:
        return "BuyStopLimit" if self.side == "BUY" else "SellStopLimit"

    @property
    def limit_type(self) -> str:
        """The engine order type it becomes once triggered."""
        return "BUY_LIMIT" if self.side == "BUY" else "SELL_LIMIT"

    def triggered(self, bid_pts: int, ask_pts: int) -> bool:
        """A buy triggers when the ask reaches the stop price, a sell when the bid does."""
        return ask_pts >= self.stop_pts if self.side == "BUY" else bid_pts <= self.stop_pts


def stop_limit_problem(side: str, stop_pts: int, limit_pts: int, bid_pts: int, ask_pts: int) -> str | None:
    """Why a stop-limit order's prices are invalid now (MT5 rules), or None."""
    if side == "BUY":
        if stop_pts <= ask_pts:
            return "a BuyStopLimit stop price must be above the ask"
        if limit_pts >= stop_pts:
            return "a BuyStopLimit limit price (stopLimitPrice) must be below its stop price"
        return None
    if stop_pts >= bid_pts:
        return "a SellStopLimit stop price must be below the bid"
    if limit_pts <= stop_pts:
        return "a SellStopLimit limit price (stopLimitPrice) must be above its stop price"
    return None


class StopLimitBook:
    """The waiting stop-limit orders of every account, by ticket."""

    def __init__(self) -> None:
        self._orders: dict[int, StopLimitOrder] = {}

    def __repr__(self) -> str:
        return f"StopLimitBook(<{len(self._orders)} orders>)"

    def __len__(self) -> int:
        return len(self._orders)

    def add(self, order: StopLimitOrder) -> None:
        self._orders[order.ticket] = order

    def get(self, account_id: str, ticket: int) -> StopLimitOrder | None:
        order = self._orders.get(ticket)
        return order if order is not None and order.account_id == account_id else None

    def remove(self, ticket: int) -> StopLimitOrder | None:
        return self._orders.pop(ticket, None)

    def of_account(self, account_id: str) -> list[StopLimitOrder]:
        return [order for order in self._orders.values() if order.account_id == account_id]

    def of_symbol(self, symbol: str) -> list[StopLimitOrder]:
        return [order for order in self._orders.values() if order.symbol == symbol]
