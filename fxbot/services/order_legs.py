"""A multi-TP order's legs: built from the checked card (one order per take profit) and sent one write each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from fxbot.domain.broker import OrderRequest
from fxbot.errors import FxbotError, OutcomeUnknown, UserError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.multi_tp import TpLegFigures, split_volume
from fxbot.services.pretrade import PreTradeCard
from fxbot.services.pretrade_margin import margin_verdict
from fxbot.services.risk_sizing import VolumeLimits
from fxbot.services.trading_models import LegOutcome, OrderTicket, PreparedOrder
from fxbot.services.upstream import ORDER_OUTCOME_UNKNOWN, upstream_call

if TYPE_CHECKING:
    from fxbot.storage import Storage


def tp_legs(ticket: OrderTicket, card: PreTradeCard, limits: VolumeLimits,
            card_of: Callable[[OrderTicket], PreTradeCard]) -> tuple[PreTradeCard, tuple[OrderRequest, ...]]:
    """The legs: the volume split by the shares, each leg's TP checked like a single one (`card_of` builds and
    checks the card of one leg, raising UsageError for a TP on the wrong side)."""
    volumes = split_volume(card.volume, ticket.take_profits, limits)
    figures: list[TpLegFigures] = []
    requests: list[OrderRequest] = []
    for leg, volume in zip(ticket.take_profits, volumes, strict=True):
        leg_card = card_of(replace(ticket, tp=leg.stop))
        assert leg_card.tp is not None
        figures.append(TpLegFigures(leg_card.tp, leg_card.tp_pips, volume))
        requests.append(OrderRequest(symbol=card.symbol, type=ticket.order_type, volume=volume,
                                     price=card.price if ticket.order_type.is_pending else None, sl=card.sl,
                                     tp=leg_card.tp, stop_limit_price=card.stop_limit_price))
    return replace(card, tp_legs=tuple(figures)), tuple(requests)


async def send_legs(storage: Storage, brokers: BrokerProvider, prepared: PreparedOrder) -> list[LegOutcome]:
    """Send the legs one by one, each once. After a leg fails (or its outcome is unknown) the rest are not
    sent; every leg's fate is reported."""
    refusal = margin_verdict(prepared.card).refusal
    if refusal is not None:
        raise UserError(f"{refusal} — nothing was sent")
    broker = await brokers.for_key(prepared.key_id)
    outcomes: list[LegOutcome] = []
    stopped = False
    for index, request in enumerate(prepared.legs, start=1):
        if stopped:
            outcomes.append(LegOutcome(request, None, "not sent — an earlier leg did not go through"))
            continue
        try:
            async with upstream_call(storage, prepared.key_id, what=f"place take-profit leg {index}",
                                     outcome_message=ORDER_OUTCOME_UNKNOWN):
                outcomes.append(LegOutcome(request, await broker.place_order(request, account_id=prepared.account_id)))
        except OutcomeUnknown as error:
            outcomes.append(LegOutcome(request, None, error.message, outcome_unknown=True))
            stopped = True
        except FxbotError as error:
            outcomes.append(LegOutcome(request, None, error.message))
            stopped = True
    return outcomes
