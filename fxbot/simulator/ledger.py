"""Money of one account: balance, open positions' exposure, margin, floating profit, equity, conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fxbot.domain.currency import convert
from fxbot.domain.instruments import InstrumentSpec
from fxbot.simulator.accounts_config import AccountSpec
from fxbot.simulator.market import Market
from fxbot.simulator.orders import PendingOrder, Position, Trade

STOP_OUT_LEVEL = 50.0


def to_account(amount: float, currency: str, account_currency: str, market: Market) -> float:
    """An amount converted to the account currency at current mid prices (currencies are checked at start)."""
    converted = convert(amount, currency, account_currency, market.mid)
    if converted is None:  # unreachable for validated accounts: every quoted currency links to USD
        raise ValueError(f"no rate from {currency} to {account_currency}")
    return converted


def quote_profit(spec: InstrumentSpec, side: str, units: int, open_pts: int, close_pts: int) -> float:
    """Gross profit in the symbol's quote currency: (close − open) × lots × contract size, sign by side."""
    move = close_pts - open_pts if side == "BUY" else open_pts - close_pts
    return move * spec.point * spec.contract_size * units / 100


def base_margin(spec: InstrumentSpec, units: int, leverage: int) -> float:
    """Margin in the base currency: lots × contract size / leverage (× price once converted to quote)."""
    return spec.contract_size * units / 100 / leverage


@dataclass(slots=True)
class Exposure:
    """Open volume of one symbol in one account, with sums that give its floating profit in O(1)."""

    spec: InstrumentSpec
    buy_units: int = 0
    buy_cost: int = 0  # Σ units × open points
    sell_units: int = 0
    sell_cost: int = 0

    def add(self, side: str, units: int, open_pts: int) -> None:
        if side == "BUY":
            self.buy_units += units
            self.buy_cost += units * open_pts
        else:
            self.sell_units += units
            self.sell_cost += units * open_pts

    def floating_quote(self, bid: int, ask: int) -> float:
        """Gross floating profit of all open volume, in the quote currency."""
        points = (bid * self.buy_units - self.buy_cost) + (self.sell_cost - ask * self.sell_units)
        return points * self.spec.point * self.spec.contract_size / 100

    @property
    def units(self) -> int:
        return self.buy_units + self.sell_units


@dataclass(slots=True)
class AccountBook:
    """Everything one simulated account holds."""

    spec: AccountSpec
    balance: float
    status: str = "connected"
    positions: dict[str, Position] = field(default_factory=dict)
    pending: dict[str, PendingOrder] = field(default_factory=dict)
    history: list[Trade] = field(default_factory=list)
    exposure: dict[str, Exposure] = field(default_factory=dict)
    open_costs: float = 0.0  # Σ swap + commission of open positions (both are ≤ 0 when charges)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def currency(self) -> str:
        return self.spec.currency

    def add_position(self, position: Position) -> None:
        self.positions[position.id] = position
        exposure = self.exposure.get(position.symbol)
        if exposure is None:
            exposure = self.exposure[position.symbol] = Exposure(position.spec)
        exposure.add(position.side, position.units, position.open_pts)
        self.open_costs += position.commission + position.swap

    def reduce_position(self, position: Position, units: int, costs: float) -> None:
        """Take `units` (and their share `costs` of swap + commission) off an open position's exposure."""
        exposure = self.exposure[position.symbol]
        exposure.add(position.side, -units, position.open_pts)
        self.open_costs -= costs
        if units >= position.units:
            del self.positions[position.id]
        if exposure.units == 0:
            del self.exposure[position.symbol]
        if not self.positions:
            self.open_costs = 0.0

    def position_profit(self, position: Position, market: Market) -> float:
        """Gross floating profit of one position in the account currency."""
        price = market.price(position.symbol)
        close = price.bid if position.side == "BUY" else price.ask
        amount = quote_profit(position.spec, position.side, position.units, position.open_pts, close)
        return to_account(amount, position.spec.quote, self.currency, market)

    def floating(self, market: Market) -> float:
        """Gross floating profit of every open position, account currency."""
        total = 0.0
        for symbol, exposure in self.exposure.items():
            price = market.price(symbol)
            amount = exposure.floating_quote(price.bid, price.ask)
            total += to_account(amount, exposure.spec.quote, self.currency, market)
        return total

    def margin(self, market: Market) -> float:
        """Used margin in the account currency (sum over positions, no hedging relief)."""
        total = 0.0
        for exposure in self.exposure.values():
            amount = base_margin(exposure.spec, exposure.units, self.spec.leverage)
            total += to_account(amount, exposure.spec.base, self.currency, market)
        return total

    def margin_for(self, spec: InstrumentSpec, units: int, market: Market) -> float:
        """Margin a new position of `units` would need, account currency."""
        return to_account(base_margin(spec, units, self.spec.leverage), spec.base, self.currency, market)

    def equity(self, market: Market) -> float:
        """Balance + floating profit net of open positions' swap and commission."""
        return self.balance + self.floating(market) + self.open_costs

    def margin_level(self, market: Market) -> float | None:
        margin = self.margin(market)
        return None if margin <= 1e-12 else self.equity(market) / margin * 100

    def snapshot(self, market: Market) -> dict[str, Any]:
        """The GET /v1/account object (profit = equity − balance: net of swap and commission)."""
        margin = self.margin(market)
        floating = self.floating(market) + self.open_costs
        equity = self.balance + floating
        return {
            "id": self.id,
            "balance": round(self.balance, 2),
            "equity": round(equity, 2),
            "margin": round(margin, 2),
            "free_margin": round(equity - margin, 2),
            "currency": self.currency,
            "margin_level": None if margin <= 1e-12 else round(equity / margin * 100, 2),
            "leverage": self.spec.leverage,
            "profit": round(floating, 2),
        }
