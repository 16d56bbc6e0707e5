"""Pure P&L arithmetic over closed trades: totals, win rate, profit factor, per-symbol and equity-curve points."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fxbot.fxsocket.models import Trade


def trade_net(trade: Trade) -> float:
    """What one trade earned after costs: profit + commission + swap (costs are negative)."""
    return trade.profit + trade.commission + trade.swap


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
        return self.profit + self.commission + self.swap


@dataclass(frozen=True, slots=True)
class TradeFigures:
    """Totals over a set of closed trades; a trade is a win when its net is above zero, a loss below."""

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
        return self.profit + self.commission + self.swap

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
    """One point of an equity curve: a moment and the account value then."""

    at: datetime
    value: float


def trade_figures(trades: Iterable[Trade]) -> TradeFigures:
    """Sum up closed trades (any order)."""
    count = wins = losses = 0
    profit = commission = swap = gross_win = gross_loss = 0.0
    best: Trade | None = None
    worst: Trade | None = None
    best_net = worst_net = 0.0
    per_symbol: dict[str, list[float]] = {}
    for trade in trades:
        net = trade_net(trade)
        count += 1
        profit += trade.profit
        commission += trade.commission
        swap += trade.swap
        if net > 0:
            wins += 1
            gross_win += net
        elif net < 0:
            losses += 1
            gross_loss += net
        if best is None or net > best_net:
            best, best_net = trade, net
        if worst is None or net < worst_net:
            worst, worst_net = trade, net
        row = per_symbol.setdefault(trade.symbol, [0, 0, 0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += 1 if net > 0 else 0
        row[2] += trade.profit
        row[3] += trade.commission
        row[4] += trade.swap
    symbols = tuple(
        sorted(
            (SymbolFigures(symbol, int(r[0]), int(r[1]), r[2], r[3], r[4]) for symbol, r in per_symbol.items()),
            key=lambda s: (-abs(s.net), s.symbol),
        )
    )
    return TradeFigures(count, wins, losses, profit, commission, swap, gross_win, gross_loss, best, worst, symbols)


def balance_curve(trades: Sequence[Trade], *, start: datetime, start_balance: float) -> list[CurvePoint]:
    """The balance after each closed trade, oldest first, beginning with `start_balance` at `start`."""
    points = [CurvePoint(start, start_balance)]
    value = start_balance
    for trade in sorted(trades, key=lambda t: t.closed_at):
        value += trade_net(trade)
        points.append(CurvePoint(trade.closed_at, value))
    return points


def thin_curve(points: Sequence[CurvePoint], limit: int) -> list[CurvePoint]:
    """At most `limit` points (>= 2), keeping the first, the last and evenly spaced ones between."""
    if limit < 2:
        raise ValueError("a curve needs at least 2 points")
    if len(points) <= limit:
        return list(points)
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]
