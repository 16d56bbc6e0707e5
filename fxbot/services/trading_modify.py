"""/modify's checks: the changes a position's or pending order's new stops (or price) make, judged at the quote."""

from __future__ import annotations

from typing import Literal

from fxbot.domain.broker import OrderChanges, PendingOrder, Position, Quote, display_id
from fxbot.domain.formatting import format_volume
from fxbot.errors import NotFound, UsageError
from fxbot.services.order_card import spec_of
from fxbot.services.pretrade import (
    StopBounds,
    pending_price_problem,
    resolve_stop,
    stop_limit_problem,
    stop_side_problem,
)
from fxbot.services.trading_models import StopEdit

MODIFY_USAGE = "/modify ID [sl=PRICE|PIPSp|none] [tp=PRICE|PIPSp|none] [price=PRICE]"


def modify_changes(ref: str, position: Position | None, order: PendingOrder | None, quote: Quote | None,
                   sl: StopEdit | None, tp: StopEdit | None, price: float | None
                   ) -> tuple[OrderChanges, str, str, Literal["position", "order"]]:
    """What /modify sends for the position or order `ref`: the changes, the ticket, its label and kind.

    Raises NotFound when neither exists (or no quote was read), UsageError for prices or stops it refuses.
    """
    if quote is None or (position is None and order is None):
        raise NotFound(f"no open position or pending order {display_id(ref)} — see /positions and /orders")
    spec = spec_of(quote.symbol)
    fields: dict[str, float | None] = {}
    if position is not None:
        if price is not None:
            raise UsageError(f"price= only applies to pending orders; {display_id(ref)} is an open position",
                             usage=MODIFY_USAGE, example=f"/modify {display_id(ref)} sl=20p")
        side, entry = position.type, position.open_price
        bounds = StopBounds.position(spec.symbol, side, quote.bid, quote.ask)
        label, target = f"{side.value} {format_volume(position.volume)} {position.symbol}", position.id
        kind: Literal["position", "order"] = "position"
        current_sl, current_tp = position.sl, position.tp
    else:
        assert order is not None
        side = order.type.side
        entry = spec.round_price(price) if price is not None else order.price
        if price is not None:
            problem = pending_price_problem(order.type, entry, quote.bid, quote.ask, spec)
            if problem:
                raise UsageError(problem)
            fields["price"] = entry
        where = "the order price"
        if order.type.is_stop_limit and order.stop_limit_price is not None:  # it fills at its limit
            limit = spec.round_price(order.stop_limit_price)
            problem = stop_limit_problem(order.type, entry, limit, spec) if price is not None else None
            if problem:
                raise UsageError(problem)
            entry, where = limit, "the limit price"
        bounds = StopBounds.at(spec.symbol, entry, where)
        label, target, kind = f"{order.type.value} {format_volume(order.volume)} {order.symbol}", order.id, "order"
        current_sl, current_tp = order.sl, order.tp
    new_sl = current_sl if sl is None else resolve_stop(sl.stop, kind="sl", side=side, entry=entry,
                                                        spec=spec)
    new_tp = current_tp if tp is None else resolve_stop(tp.stop, kind="tp", side=side, entry=entry,
                                                        spec=spec)
    if sl is not None:
        fields["sl"] = new_sl
    if tp is not None:
        fields["tp"] = new_tp
    # Check the stops that will be in force (kept ones too, when a pending price moves).
    problem = stop_side_problem(side, new_sl if sl is not None or price is not None else None,
                                new_tp if tp is not None or price is not None else None, spec, bounds)
    if problem:
        raise UsageError(problem)
    return OrderChanges(**fields), target, label, kind
