"""The pre-trade card of an order: its entry, stops and margin at the quote, and its volume sized from risk."""

from __future__ import annotations

from dataclasses import replace

from fxbot.domain.broker import Account, Quote
from fxbot.domain.instruments import InstrumentSpec, instrument
from fxbot.errors import UsageError, UserError
from fxbot.services.pretrade import (
    PreTradeCard,
    StopBounds,
    distance_pips,
    margin_in_account_currency,
    margin_level_after,
    market_entry,
    pending_price_problem,
    resolve_stop,
    stop_limit_problem,
    stop_side_problem,
)
from fxbot.services.risk_sizing import RiskInput, VolumeLimits, risk_per_lot, size_order
from fxbot.services.trading_models import OrderTicket

ORDER_USAGE = "/buy SYMBOL VOLUME [sl=PRICE|PIPSp] [tp=PRICE|PIPSp]"


def spec_of(symbol: str) -> InstrumentSpec:
    """The instrument spec of a canonical symbol; UserError when fxbot does not know it."""
    spec = instrument(symbol)
    if spec is None:
        raise UserError(f"fxbot has no contract details for {symbol}, so it cannot trade it")
    return spec


def check_volume(spec: InstrumentSpec, volume: float) -> None:
    """UsageError when the volume is outside what fxbot's contract details allow for the instrument."""
    if volume < spec.min_volume - 1e-9 or volume > spec.max_volume + 1e-9:
        raise UsageError(f"volume {volume:g} is outside {spec.min_volume:g}-{spec.max_volume:g} lots "
                         f"for {spec.symbol}", usage=ORDER_USAGE, example=f"/buy {spec.symbol} 0.10")


def order_card(ticket: OrderTicket, spec: InstrumentSpec, quote: Quote, account: Account,
               mids: dict[str, float]) -> PreTradeCard:
    """The pre-trade card of a ticket at the quote: entry, stops, margin; UsageError for wrong-side prices."""
    side = ticket.order_type.side
    symbol = spec.symbol
    limit: float | None = None
    if ticket.order_type.is_pending:
        assert ticket.price is not None
        price = spec.round_price(ticket.price)
        problem = pending_price_problem(ticket.order_type, price, quote.bid, quote.ask, spec)
        if problem:
            raise UsageError(problem)
        if ticket.order_type.is_stop_limit:  # it fills at its limit: stops and margin are judged there
            assert ticket.stop_limit is not None
            limit = spec.round_price(ticket.stop_limit)
            problem = stop_limit_problem(ticket.order_type, price, limit, spec)
            if problem:
                raise UsageError(problem)
            bounds = StopBounds.at(symbol, limit, "the limit price")
        else:
            bounds = StopBounds.at(symbol, price, "the order price")
    else:
        price = market_entry(side, quote.bid, quote.ask)
        bounds = StopBounds.market(symbol, quote.bid, quote.ask)
    entry = limit if limit is not None else price
    sl = resolve_stop(ticket.sl, kind="sl", side=side, entry=entry, spec=spec)
    tp = resolve_stop(ticket.tp, kind="tp", side=side, entry=entry, spec=spec)
    for value, name in ((sl, "stop loss"), (tp, "take profit")):
        if value is not None and spec.to_points(value) <= 0:
            raise UsageError(f"the {name} would be at or below zero — use a smaller distance")
    problem = stop_side_problem(side, sl, tp, spec, bounds)
    if problem:
        raise UsageError(problem)
    leverage = account.leverage or 100
    required = margin_in_account_currency(ticket.volume, spec, entry, leverage, account.currency,
                                          mids.get)
    return PreTradeCard(
        account_id=account.id, symbol=symbol, order_type=ticket.order_type, volume=ticket.volume,
        price=price, is_market=not ticket.order_type.is_pending, sl=sl, tp=tp,
        sl_pips=distance_pips(entry, sl, spec), tp_pips=distance_pips(entry, tp, spec),
        required_margin=required, currency=account.currency, leverage=leverage,
        equity=account.equity, free_margin=account.free_margin,
        margin_level_after=margin_level_after(account.equity, account.margin, required),
        bid=quote.bid, ask=quote.ask, stop_limit_price=limit,
    )


def sized_card(ticket: OrderTicket, risk: RiskInput, card: PreTradeCard, spec: InstrumentSpec,
               quote: Quote, account: Account, mids: dict[str, float], limits: VolumeLimits) -> PreTradeCard:
    """The card again, with the volume sized from the money at risk and the stop."""
    assert card.sl is not None
    per_lot = risk_per_lot(card.entry - card.sl, spec.contract_size, spec.quote, account.currency, mids.get)
    if per_lot is None:
        raise UserError(f"no quote converts {spec.quote} into {account.currency}, so the risk of a "
                        f"{spec.symbol} lot cannot be worked out — give a VOLUME instead")
    reward = (abs(card.tp - card.entry) / abs(card.entry - card.sl)
              if card.tp is not None and card.entry != card.sl else None)
    sizing = size_order(risk, balance=account.balance, equity=account.equity, currency=account.currency,
                        per_lot=per_lot, limits=limits, reward_risk=reward)
    sized = order_card(replace(ticket, volume=sizing.volume), spec, quote, account, mids)
    return replace(sized, sizing=sizing)
