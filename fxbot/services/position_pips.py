"""An open position in pips: its P&L from the open price, and how far its SL and TP are from the current price."""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.domain.broker import Position, Side
from fxbot.domain.instruments import instrument


@dataclass(frozen=True, slots=True)
class PositionPips:
    """Signed pips (one decimal); None when the symbol's pip size or the price involved is unknown.

    `pnl`: gained (+) or lost (−) since the open price, at the current (closing) price.
    `to_sl` / `to_tp`: how far the price still has to move to hit the stop (positive while it has not)."""

    pnl: float | None
    to_sl: float | None
    to_tp: float | None


def position_pips(position: Position) -> PositionPips:
    """The pip figures of one open position (BUY: up is a gain; SELL: down is a gain)."""
    spec = instrument(position.symbol)
    now = position.current_price
    if spec is None or now is None:
        return PositionPips(None, None, None)
    direction = 1 if position.type is Side.BUY else -1

    def pips(towards: float | None, start: float | None) -> float | None:
        """Pips from `start` to `towards` in the position's favour (never -0.0)."""
        if towards is None or start is None:
            return None
        return direction * spec.pips((spec.to_points(towards) - spec.to_points(start)) * spec.point) + 0.0

    return PositionPips(pnl=pips(now, position.open_price), to_sl=pips(now, position.sl),
                        to_tp=pips(position.tp, now))
