"""The guard's exposure limits judged against an order about to be sent: pure, no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from fxbot.domain.broker import Position
from fxbot.domain.currency import MidPrice, convert
from fxbot.domain.formatting import format_volume
from fxbot.domain.instruments import instrument
from fxbot.guard.rules import GuardLimits
from fxbot.services.pretrade import PreTradeCard


def exposure_problem(limits: GuardLimits, card: PreTradeCard, positions: Sequence[Position],
                     mid: MidPrice) -> str | None:
    """Why the order breaks one of the account's exposure limits (None: it fits them all)."""
    if limits.max_positions is not None and len(positions) + 1 > limits.max_positions:
        return (f"the guard allows at most {limits.max_positions} open positions and {len(positions)} are open "
                "— close one first (/positions)")
    if limits.max_lots is not None:
        total = sum(p.volume for p in positions) + card.volume
        if total > limits.max_lots + 1e-9:
            return (f"the guard allows at most {limits.max_lots:g} open lots: {format_volume(card.volume)} more would "
                    f"make {total:g}")
    spec = instrument(card.symbol)
    if limits.max_spread_pips is not None and spec is not None:
        spread = spec.pips(max(card.ask - card.bid, 0.0))
        if spread > limits.max_spread_pips + 1e-9:
            return (f"the {card.symbol} spread is {spread:g} pips, wider than the guard's {limits.max_spread_pips:g} "
                    "— try again when it narrows")
    if limits.max_risk_percent is not None:
        if card.sl is None or spec is None:
            return (f"the guard limits the risk per trade to {limits.max_risk_percent:g}% of equity, worked out "
                    "from the stop — give the order a stop loss (sl=PRICE or sl=20p)")
        loss = convert(abs(card.entry - card.sl) * spec.contract_size * card.volume, spec.quote, card.currency, mid)
        allowed = card.equity * limits.max_risk_percent / 100.0
        if loss is not None and loss > allowed + 1e-9:
            share = loss / card.equity * 100.0 if card.equity > 0 else float("inf")
            return (f"the stop risks {loss:,.2f} {card.currency} ({share:.2f}% of equity), more than the guard's "
                    f"{limits.max_risk_percent:g}% ({allowed:,.2f} {card.currency}) — use a closer stop or less volume")
    return None
