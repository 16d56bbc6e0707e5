"""Pre-trade checks that use the broker's own facts when its backend offers them: volume limits and margin."""

from __future__ import annotations

import logging
from dataclasses import replace

from fxbot.domain.broker import BrokerError, OrderRequest, SupportsMarginCalc
from fxbot.errors import UsageError
from fxbot.services.pretrade import PreTradeCard, margin_level_after
from fxbot.services.risk_sizing import VolumeLimits

log = logging.getLogger(__name__)

_EPS = 1e-9


def check_broker_volume(symbol: str, volume: float, limits: VolumeLimits) -> None:
    """Refuse a volume outside the broker's min/max or off its step (UsageError, nothing sent)."""
    example = f"/buy {symbol} {limits.min:g}"
    if volume < limits.min - _EPS or volume > limits.max + _EPS:
        raise UsageError(f"volume {volume:g} is outside {limits.min:g}-{limits.max:g} lots for {symbol} at this "
                         "broker", example=example)
    if limits.step > 0:
        steps = (volume - limits.min) / limits.step
        if abs(steps - round(steps)) > 1e-6:
            raise UsageError(f"volume {volume:g} is not a multiple of this broker's {limits.step:g}-lot step for "
                             f"{symbol} (from {limits.min:g})", example=example)


async def with_broker_margin(broker: object, card: PreTradeCard, request: OrderRequest,
                             account_id: str | None) -> PreTradeCard:
    """The card with the broker's own required margin when the backend can ask for it (same currency only);
    on any failure the card keeps fxbot's estimate."""
    if not isinstance(broker, SupportsMarginCalc):
        return card
    try:
        estimate = await broker.calc_margin(request, account_id=account_id)
    except BrokerError as exc:
        log.info("the broker's margin for %s could not be read (%s); keeping the estimate", request.symbol, exc.code)
        return card
    if estimate.currency.upper() != card.currency.upper() or estimate.margin < 0:
        return card
    used = card.equity - card.free_margin
    return replace(card, required_margin=estimate.margin, margin_from_broker=True,
                   margin_level_after=margin_level_after(card.equity, used, estimate.margin))
