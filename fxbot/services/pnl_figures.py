"""Pure P&L arithmetic over trades and positions: nets, totals, win rate, profit factor, curves.

Money is summed in Decimal (each float taken as the decimal it was written as) and a trade's outcome is judged
at the cent, so a break-even trade (0.10 - 0.07 - 0.03) is neither a win nor a loss, never ±1e-17.
Floating P&L has one definition everywhere: an open position's profit + commission + swap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from fxbot.domain.broker import Position, Trade

CENT = Decimal("0.01")
#: How replies label floating P&L (its one definition: profit + commission + swap of the open positions).
FLOATING_PNL_LABEL = "floating P&L (net: profit + commission + swap)"


def money(amount: float | None) -> Decimal:
    """A float amount as the decimal it was written as (0.1 -> Decimal('0.1')); None counts as 0."""
    return Decimal(repr(amount)) if amount is not None else Decimal(0)


def money_sum(amounts: Iterable[float | None]) -> float:
    """Amounts summed exactly, as a float: 0.1 + 0.2 - 0.3 is 0.0 (float addition gives 5.6e-17)."""
    return float(sum((money(a) for a in amounts), Decimal(0)))


def cent_sign(amount: Decimal) -> int:
    """1, -1 or 0 for an amount above, below or within half a cent of zero."""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
    return (cents > 0) - (cents < 0)


def exact_trade_net(trade: Trade) -> Decimal:
    """What one trade earned after costs, exactly: profit + commission + swap (costs are negative)."""
    return money(trade.profit) + money(trade.commission) + money(trade.swap)


def trade_net(trade: Trade) -> float:
    """What one trade earned after costs: profit + commission + swap (costs are negative)."""
    return float(exact_trade_net(trade))


def position_net(position: Position) -> float:
    """An open position's floating P&L: profit + commission + swap (what closing it now would add to the
    balance, before the closing commission)."""
    return float(money(position.profit) + money(position.commission) + money(position.swap))


@dataclass(frozen=True, slots=True)
class FloatingPnl:
    """The floating P&L of open positions and its parts; `net` is the one figure every reply shows."""

    profit: float
    commission: float
    swap: float
    positions: int

    @property
    def net(self) -> float:
        return money_sum((self.profit, self.commission, self.swap))


def floating_pnl(positions: Iterable[Position]) -> FloatingPnl:
    """Sum the open positions' profit, commission and swap exactly."""
    profit = commission = swap = Decimal(0)
    count = 0
    for position in positions:
        count += 1
        profit += money(position.profit)
        commission += money(position.commission)
        swap += money(position.swap)
    return FloatingPnl(float(profit), float(commission), float(swap), count)


@dataclass(frozen=True, slots=True)
class SymbolFigures:
    """The realized figures of one symbol in a period."""

    symbol: str
    trades: int
    wins: int
    profit: float
    commission: float
    swap: float

    @property
    def net(self) -> float:
        return money_sum((self.profit, self.commission, self.swap))


@dataclass(frozen=True, slots=True)
class TradeFigures:
    """Totals over a set of closed trades; a trade is a win when its net is above zero at the cent, a loss
    below, neither when it nets 0.00."""

    trades: int
    wins: int
    losses: int
    profit: float
    commission: float
    swap: float
    gross_win: float  # Σ net of winning trades
    gross_loss: float  # Σ net of losing trades (negative or 0)
    best: Trade | None
    worst: Trade | None
    symbols: tuple[SymbolFigures, ...]  # largest |net| first

    @property
    def net(self) -> float:
        return money_sum((self.profit, self.commission, self.swap))

    @property
    def win_rate(self) -> float | None:
        """Wins as a percentage of all trades (None without trades)."""
        return None if self.trades == 0 else 100.0 * self.wins / self.trades

    @property
    def profit_factor(self) -> float | None:
        """Gross win / |gross loss| on net figures; None when nothing was lost (undefined or infinite)."""
        if self.gross_loss == 0:
            return None
        return self.gross_win / -self.gross_loss


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One point of an equity curve: a moment and the account value then (the balance, or the equity now)."""

    at: datetime
    value: float
    kind: Literal["balance", "equity"] = "balance"


def trade_figures(trades: Iterable[Trade]) -> TradeFigures:
    """Sum up closed trades (any order), exactly; a trade is a win or a loss by its net at the cent."""
    count = wins = losses = 0
    zero = Decimal(0)
    profit = commission = swap = gross_win = gross_loss = zero
    best: Trade | None = None
    worst: Trade | None = None
    best_net = worst_net = zero
    per_symbol: dict[str, tuple[int, int, Decimal, Decimal, Decimal]] = {}
    for trade in trades:
        trade_profit, trade_commission, trade_swap = money(trade.profit), money(trade.commission), money(trade.swap)
        net = trade_profit + trade_commission + trade_swap  # exact_trade_net, each amount converted once
        outcome = cent_sign(net)
        count += 1
        profit += trade_profit
        commission += trade_commission
        swap += trade_swap
        if outcome > 0:
            wins += 1
            gross_win += net
        elif outcome < 0:
            losses += 1
            gross_loss += net
        if best is None or net > best_net:
            best, best_net = trade, net
        if worst is None or net < worst_net:
            worst, worst_net = trade, net
        n, won, p, c, s = per_symbol.get(trade.symbol, (0, 0, zero, zero, zero))
        per_symbol[trade.symbol] = (n + 1, won + (outcome > 0), p + trade_profit, c + trade_commission,
                                    s + trade_swap)
    symbols = tuple(
        sorted(
            (SymbolFigures(symbol, n, won, float(p), float(c), float(s))
             for symbol, (n, won, p, c, s) in per_symbol.items()),
            key=lambda f: (-abs(f.net), f.symbol),
        )
    )
    return TradeFigures(count, wins, losses, float(profit), float(commission), float(swap), float(gross_win),
                        float(gross_loss), best, worst, symbols)


def balance_curve(trades: Sequence[Trade], *, start: datetime, start_balance: float) -> list[CurvePoint]:
    """The balance after each closed trade, oldest first, beginning with `start_balance` at `start`."""
    points = [CurvePoint(start, start_balance)]
    value = money(start_balance)
    for trade in sorted(trades, key=lambda t: t.closed_at):
        value += exact_trade_net(trade)
        points.append(CurvePoint(trade.closed_at, float(value)))
    return points


def thin_curve(points: Sequence[CurvePoint], limit: int) -> list[CurvePoint]:
    """At most `limit` points (>= 2), keeping the first, the last and evenly spaced ones between."""
    if limit < 2:
        raise ValueError("a curve needs at least 2 points")
    if len(points) <= limit:
        return list(points)
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]
