"""Replies of the order commands: the pre-trade card, fills, pending orders, modify results."""

from __future__ import annotations

from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.broker import OrderResult, OrderType, display_id
from fxbot.domain.formatting import (
    format_lots,
    format_money,
    format_percent,
    format_pips,
    format_price,
)
from fxbot.services.pretrade import PreTradeCard
from fxbot.services.pretrade_margin import MarginVerdict
from fxbot.services.trading_models import LegOutcome, ModifyOutcome, PreparedOrder


def order_type_text(order_type: OrderType) -> str:
    """"BUY", "SELL LIMIT", "BUY STOP"."""
    return order_type.value.replace("_", " ")


def stop_text(symbol: str, price: float | None, pips: float | None) -> str:
    """"1.08142 (20.0 pips)" or "none"."""
    if price is None:
        return "none"
    if pips is None:
        return format_price(symbol, price)
    return f"{format_price(symbol, price)} ({format_pips(pips)})"


def sizing_lines(card: PreTradeCard) -> tuple[str, ...]:
    """A risk-sized order's figures: money at risk and its % of the balance, R:R, lots, rounding warning."""
    sizing = card.sizing
    if sizing is None:
        return ()
    ccy = sizing.currency
    share = sizing.percent_of_balance
    lines = [
        f"risk: {format_money(sizing.realised, ccy)} at the stop"
        + (f" ({share:.2f}% of the balance)" if share is not None else "")
        + f" — asked risk={sizing.risk.text} = {format_money(sizing.asked, ccy)}",
        f"volume: {format_lots(sizing.volume)} chosen by risk ({format_money(sizing.risk_per_lot, ccy)} per lot "
        "at the stop, before commission and swap)",
    ]
    if sizing.reward_risk is not None:
        lines.append(f"reward:risk (R:R) 1:{sizing.reward_risk:.2f}")
    if sizing.rounding_changed:
        change = (sizing.asked - sizing.realised) / sizing.asked * 100.0
        lines.append(f"note: rounding down to the volume step (or the maximum volume) lowers the risk by "
                     f"{change:.0f}% — from {format_money(sizing.asked, ccy)} to {format_money(sizing.realised, ccy)}")
    return tuple(lines)


def _take_profit_lines(card: PreTradeCard) -> tuple[str, ...]:
    if not card.tp_legs:
        return (f"take profit: {stop_text(card.symbol, card.tp, card.tp_pips)}",)
    legs = " · ".join(f"TP{n} {stop_text(card.symbol, leg.tp, leg.tp_pips)} × {format_lots(leg.volume)}"
                      for n, leg in enumerate(card.tp_legs, start=1))
    return (f"take profits: {legs}",
            f"sent as {len(card.tp_legs)} positions, one per take profit, each with the same stop loss")


def legs_result_reply(outcomes: list[LegOutcome], prepared: PreparedOrder) -> Reply:
    """What each leg of a multi-TP order did; a leg that failed stops the rest, and nothing is resent."""
    card = prepared.card
    symbol = card.symbol
    done = [o for o in outcomes if o.result is not None]
    lines: list[str] = []
    for n, outcome in enumerate(outcomes, start=1):
        request = outcome.request
        head = f"TP{n} {format_price(symbol, request.tp) if request.tp is not None else 'none'} × " \
               f"{format_lots(request.volume)}: "
        result = outcome.result
        if result is None:
            lines.append(head + ("UNKNOWN: " if outcome.outcome_unknown else "") + (outcome.error or "no answer"))
        elif result.status == "filled":
            where = f", position {display_id(result.position_id)}" if result.position_id else ""
            lines.append(head + f"filled at {format_price(symbol, result.price)}{where}")
        else:
            lines.append(head + f"pending order {display_id(result.id)} at {format_price(symbol, result.price)}")
    if len(done) < len(outcomes):
        lines.append("a leg that failed was NOT resent and the legs after it were not sent — check /positions and "
                     "/orders")
    what = f"{order_type_text(card.order_type)} {format_lots(card.volume)} {symbol}"
    kind = ReplyKind.OK if len(done) == len(outcomes) else (ReplyKind.WARNING if done else ReplyKind.ERROR)
    return Reply(title=f"{what}: {len(done)} of {len(outcomes)} take-profit legs placed", text=tuple(lines),
                 kind=kind)


def _card_lines(card: PreTradeCard) -> tuple[str, ...]:
    """The order's figures: price, stops, margin, margin level after, free margin and account."""
    symbol = card.symbol
    if card.is_market:
        side_price = "ask" if card.side.value == "BUY" else "bid"
        price_line = f"price: {format_price(symbol, card.price)} (current {side_price}, market order)"
    elif card.stop_limit_price is not None:
        price_line = (f"stop price: {format_price(symbol, card.price)}, then a limit order at "
                      f"{format_price(symbol, card.stop_limit_price)} "
                      f"(now bid {format_price(symbol, card.bid)} / ask {format_price(symbol, card.ask)})")
    else:
        price_line = (f"order price: {format_price(symbol, card.price)} "
                      f"(now bid {format_price(symbol, card.bid)} / ask {format_price(symbol, card.ask)})")
    margin = (format_money(card.required_margin, card.currency) if card.required_margin is not None
              else "unknown (no quote converts it into " + card.currency + ")")
    return (
        price_line,
        *sizing_lines(card),
        f"stop loss: {stop_text(symbol, card.sl, card.sl_pips)}",
        *_take_profit_lines(card),
        f"required margin: {margin} ({'the broker' + chr(39) + 's figure, ' if card.margin_from_broker else ''}"
        f"leverage 1:{card.leverage})",
        f"margin level after: {format_percent(card.margin_level_after)}",
        f"free margin now: {format_money(card.free_margin, card.currency)}",
        f"account: {card.account_id}",
    )


def _what(card: PreTradeCard) -> str:
    return f"{order_type_text(card.order_type)} {format_lots(card.volume)} {card.symbol}"


def card_reply(card: PreTradeCard, *, policy: str, ttl_seconds: float,
               verdict: MarginVerdict | None = None) -> Reply:
    """The pre-trade card shown above the Confirm / Cancel buttons, with the verdict's warnings first."""
    warnings = verdict.warnings if verdict is not None else ()
    lines = (
        *warnings,
        *_card_lines(card),
        f"confirm within {ttl_seconds:g} s — this chat's policy: {policy}",
    )
    return Reply(title=f"Confirm {_what(card)}?", text=lines,
                 kind=ReplyKind.WARNING if warnings else ReplyKind.INFO)


def margin_refusal_reply(card: PreTradeCard, verdict: MarginVerdict) -> Reply:
    """An order FxSocket would refuse for margin: the reason with its figures, and nothing to confirm."""
    lines = [verdict.refusal or "FxSocket will refuse this order for margin"]
    if verdict.hint:
        lines.append(verdict.hint)
    lines.extend(_card_lines(card))
    lines.append("nothing was sent")
    return Reply(title=f"{_what(card)} not sent — not enough free margin", text=tuple(lines),
                 kind=ReplyKind.ERROR)


def order_result_reply(result: OrderResult, prepared: PreparedOrder) -> Reply:
    """The reply after an order was sent: the fill (market) or the pending order placed."""
    symbol = result.symbol
    what = f"{order_type_text(result.type)} {format_lots(result.volume)} {symbol}"
    sl = result.sl if result.sl is not None else prepared.request.sl
    tp = result.tp if result.tp is not None else prepared.request.tp
    stops = f"SL {format_price(symbol, sl) if sl is not None else 'none'}, " \
            f"TP {format_price(symbol, tp) if tp is not None else 'none'}"
    if result.status == "filled":
        lines = [
            f"filled at {format_price(symbol, result.price)}",
            f"order {display_id(result.id)}"
            + (f", position {display_id(result.position_id)}" if result.position_id else ""),
            stops,
            *sizing_lines(prepared.card),
        ]
        return Reply(title=f"{what} filled", text=tuple(lines), kind=ReplyKind.OK)
    limit = prepared.request.stop_limit_price if result.type.is_stop_limit else None
    waiting = (f"pending at {format_price(symbol, result.price)} — it fills when the price gets there"
               if limit is None else
               f"pending: when the price reaches {format_price(symbol, result.price)}, a limit order at "
               f"{format_price(symbol, limit)} is placed")
    lines = [
        waiting,
        f"order {display_id(result.id)}",
        stops,
        f"/cancel {display_id(result.id)} removes it",
    ]
    return Reply(title=f"{what} placed", text=tuple(lines), kind=ReplyKind.OK)


def modify_reply(outcome: ModifyOutcome) -> Reply:
    """The reply after /modify."""
    result = outcome.result
    symbol = outcome.symbol
    lines = [
        f"SL {format_price(symbol, result.sl) if result.sl is not None else 'none'}, "
        f"TP {format_price(symbol, result.tp) if result.tp is not None else 'none'}",
    ]
    if result.price is not None and outcome.kind == "order":
        lines.append(f"order price {format_price(symbol, result.price)}")
    ref = display_id(outcome.ref)
    title = f"{outcome.kind} {ref} ({outcome.label.replace('_', ' ')}) modified"
    if not result.updated:
        title = f"{outcome.kind} {ref} was already like that — nothing changed"
    return Reply(title=title, text=tuple(lines), kind=ReplyKind.OK)
