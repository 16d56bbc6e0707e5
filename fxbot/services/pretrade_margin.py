"""The margin verdict of a pre-trade card: an order FxSocket will refuse for margin, or one close to stop-out."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fxbot.domain.formatting import format_lots, format_money, format_percent
from fxbot.domain.instruments import instrument
from fxbot.services.pretrade import PreTradeCard

#: Warn when the margin level after the trade is at most this many times the stop-out level.
NEAR_STOP_OUT_FACTOR = 2.0
_HALF_CENT = 0.005


@dataclass(frozen=True, slots=True)
class MarginVerdict:
    """`refusal`: why FxSocket will refuse this market order (then no Confirm is offered and nothing is
    sent); `warnings`: what the trader should know before confirming an order that can be sent."""

    refusal: str | None = None
    hint: str | None = None
    warnings: tuple[str, ...] = ()


def largest_fitting_volume(card: PreTradeCard) -> float | None:
    """The largest volume (a multiple of the symbol's step) whose margin fits the free margin; None when
    the margin is unknown."""
    spec = instrument(card.symbol)
    if card.required_margin is None or card.required_margin <= 0 or card.volume <= 0 or spec is None:
        return None
    per_lot = card.required_margin / card.volume
    steps = math.floor(max(card.free_margin, 0.0) / per_lot / spec.volume_step + 1e-9)
    return round(min(steps * spec.volume_step, spec.max_volume), 2)


def _shortfall(card: PreTradeCard) -> float | None:
    """How much more margin the order needs than is free (None when it fits or the margin is unknown)."""
    if card.required_margin is None:
        return None
    short = card.required_margin - card.free_margin
    return short if short > _HALF_CENT else None


def margin_verdict(card: PreTradeCard) -> MarginVerdict:
    """Judge the card's margin figures. A market order needing more margin than is free is refused; a pending
    one is only warned about (margin is checked when it triggers). A margin level after the trade within
    NEAR_STOP_OUT_FACTOR × the card's stop-out level is warned about.

    With a 50% stop-out the warning zone (margin level after ≤ 100%) is exactly "needs more margin than is
    free", so a market order there is refused instead; the warning matters for higher stop-out levels."""
    ccy = card.currency
    short = _shortfall(card)
    if short is not None:
        assert card.required_margin is not None
        figures = (f"it needs {format_money(card.required_margin, ccy)} of margin and the free margin is "
                   f"{format_money(card.free_margin, ccy)} (short by {format_money(short, ccy)})")
        if card.is_market:
            return MarginVerdict(refusal=f"FxSocket will refuse this order for margin: {figures}",
                                 hint=_hint(card))
        return MarginVerdict(warnings=(f"warning: if this order triggered now it would be cancelled for "
                                       f"margin: {figures}",))
    level, stop_out_level = card.margin_level_after, card.stop_out_level
    if level is not None and level <= NEAR_STOP_OUT_FACTOR * stop_out_level:
        return MarginVerdict(warnings=(
            f"warning: the margin level after this trade, {format_percent(level)}, is within "
            f"{NEAR_STOP_OUT_FACTOR:g}× of the stop-out level {stop_out_level:g}% — at {stop_out_level:g}% the "
            "broker closes positions by itself",))
    return MarginVerdict()


def _hint(card: PreTradeCard) -> str:
    fits = largest_fitting_volume(card)
    spec = instrument(card.symbol)
    if fits is None or spec is None or fits < spec.min_volume - 1e-9:
        return "no volume of this order fits the free margin — close positions first (/positions)"
    return (f"at most about {format_lots(fits)} fits the free margin now (before commission) — use a smaller "
            "volume or close positions first (/positions)")
