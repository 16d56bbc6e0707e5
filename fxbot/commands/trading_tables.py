"""Replies listing positions, pending orders, close plans and close/cancel results as tables."""

from __future__ import annotations

from fxbot.chat.types import Reply, ReplyKind, Table
from fxbot.commands.trading_replies import order_type_text
from fxbot.domain.broker import Account, PendingOrder, Position, display_id
from fxbot.domain.formatting import (
    NO_VALUE,
    format_money,
    format_percent,
    format_price,
    format_signed_money,
    format_time,
    format_volume,
)
from fxbot.services.pnl_figures import FLOATING_PNL_LABEL, FloatingPnl, floating_pnl, position_net
from fxbot.services.position_pips import position_pips
from fxbot.services.trading_models import (
    AccountOrders,
    AccountPositions,
    CancelOutcome,
    CloseOutcome,
    ClosePlan,
)


def _account_line(account: Account) -> str:
    ccy = account.currency
    return (f"balance {format_money(account.balance, ccy)} · equity {format_money(account.equity, ccy)} · "
            f"margin level {format_percent(account.margin_level)}")


def _pips(value: float | None) -> str:
    return NO_VALUE if value is None else f"{value:+.1f}"


def _stop(symbol: str, price: float | None, pips_away: float | None) -> str:
    """"1.08142 (12.3)": the level and how many pips the price still has to move to hit it."""
    if price is None:
        return NO_VALUE
    shown = format_price(symbol, price)
    return shown if pips_away is None else f"{shown} ({pips_away:.1f})"


def _position_row(p: Position) -> tuple[str, ...]:
    pips = position_pips(p)
    return (
        display_id(p.id), p.symbol, p.type.value, format_volume(p.volume), format_price(p.symbol, p.open_price),
        format_price(p.symbol, p.current_price), _pips(pips.pnl), format_signed_money(position_net(p), None),
        _stop(p.symbol, p.sl, pips.to_sl), _stop(p.symbol, p.tp, pips.to_tp),
    )


def positions_table(positions: list[Position], currency: str) -> Table:
    """One row per position: prices, P&L in pips and net money, SL/TP with their distance in pips."""
    return Table(headers=("ID", "Symbol", "Side", "Lots", "Open", "Now", "Pips", f"Net P&L {currency}",
                          "SL (pips away)", "TP (pips away)"),
                 rows=tuple(_position_row(p) for p in positions),
                 align=("l", "l", "l", "r", "r", "r", "r", "r", "r", "r"))


def floating_amounts(floating: FloatingPnl, currency: str) -> str:
    """"-21.89 USD (profit -14.64, commission -7.25, swap 0.00)": the net floating P&L and its parts."""
    return (f"{format_signed_money(floating.net, currency)} (profit {format_signed_money(floating.profit, None)}, "
            f"commission {format_money(floating.commission, None)}, swap {format_money(floating.swap, None)})")


def floating_line(positions: list[Position], currency: str) -> str:
    """"floating P&L (net: profit + commission + swap) -21.89 USD (profit -14.64, …)"."""
    return f"{FLOATING_PNL_LABEL} {floating_amounts(floating_pnl(positions), currency)}"


def positions_reply(view: AccountPositions) -> Reply:
    """/positions: a table of open positions and the account's figures."""
    account = view.account
    if not view.positions:
        return Reply(title=f"No open positions — {account.id}", text=(_account_line(account),))
    count = len(view.positions)
    lines = (
        f"{count} open position{'s' if count != 1 else ''}, {floating_line(view.positions, account.currency)}",
        _account_line(account),
        "Pips: gained (+) or lost (−) since the open price; SL/TP (pips away): how far the price still has to "
        "move to hit them",
        "/close ID closes one, /modify ID sl=… tp=… changes its stops",
    )
    return Reply(title=f"Open positions — {account.id}", text=lines,
                 table=positions_table(view.positions, account.currency))


def _order_price(order: PendingOrder) -> str:
    """The trigger price; for a stop-limit order also the limit it places ("1.09000 → limit 1.08950")."""
    price = format_price(order.symbol, order.price)
    if order.type.is_stop_limit and order.stop_limit_price is not None:
        return f"{price} → limit {format_price(order.symbol, order.stop_limit_price)}"
    return price


def orders_reply(view: AccountOrders, timezone: str | None) -> Reply:
    """/orders: a table of pending orders."""
    account = view.account
    if not view.orders:
        return Reply(title=f"No pending orders — {account.id}",
                     text=("/buylimit, /selllimit, /buystop, /sellstop, /buystoplimit and /sellstoplimit place one",))
    rows = tuple(
        (
            display_id(o.id), o.symbol, order_type_text(o.type), format_volume(o.volume), _order_price(o),
            format_price(o.symbol, o.sl), format_price(o.symbol, o.tp),
            format_time(o.created_at, timezone),
        )
        for o in view.orders
    )
    table = Table(headers=("ID", "Symbol", "Type", "Lots", "Price", "SL", "TP", "Placed"), rows=rows,
                  align=("l", "l", "l", "r", "r", "r", "r", "l"))
    count = len(view.orders)
    return Reply(title=f"Pending orders — {account.id}",
                 text=(f"{count} pending order{'s' if count != 1 else ''}",
                       "/cancel ID removes one, /modify ID price=… sl=… tp=… changes it"),
                 table=table)


def close_plan_card(plan: ClosePlan, ttl_seconds: float) -> Reply:
    """The card listing the positions a /close of several will close."""
    count = len(plan.positions)
    if plan.filter is not None:
        what = plan.filter.describe()
    else:
        what = "every open position" if plan.kind == "all" else f"every {plan.target} position"
    noun = "position" if count == 1 else "positions"
    return Reply(
        title=f"Close {count} {noun}?",
        text=(f"this closes {what} ({count}) at the market price, one order each; P&L at stake: "
              f"{floating_line(plan.positions, plan.currency)}",
              f"confirm within {ttl_seconds:g} s"),
        table=positions_table(plan.positions, plan.currency),
        kind=ReplyKind.WARNING,
    )


def outcome_text(outcome: CloseOutcome, currency: str) -> str:
    result = outcome.result
    if result is None:
        return ("UNKNOWN: " if outcome.outcome_unknown else "FAILED: ") + (outcome.error or "no answer")
    symbol = outcome.position.symbol
    price = format_price(symbol, result.close_price)
    profit = format_signed_money(result.profit, currency)
    if result.status == "partially_closed":
        remaining = format_volume(result.remaining) if result.remaining is not None else "?"
        return f"partly closed at {price}, profit {profit} before commission and swap, {remaining} lots remain"
    return f"closed at {price}, profit {profit} before commission and swap (net: /history)"


def close_results_reply(plan: ClosePlan, outcomes: list[CloseOutcome]) -> Reply:
    """The result of a /close: one line (a single position) or a table (several)."""
    failed = [o for o in outcomes if not o.ok]
    unknown = any(o.outcome_unknown for o in outcomes)
    kind = ReplyKind.OK if not failed else (ReplyKind.WARNING if unknown or len(failed) < len(outcomes)
                                            else ReplyKind.ERROR)
    if len(outcomes) == 1:
        only = outcomes[0]
        position = only.position
        title = f"{display_id(position.id)} ({position.type.value} {format_volume(position.volume)} {position.symbol})"
        notes = (plan.note,) if plan.note else ()
        return Reply(title=title, text=(*notes, outcome_text(only, plan.currency)), kind=kind)
    rows = tuple(
        (display_id(o.position.id), o.position.symbol, o.position.type.value, format_volume(o.position.volume),
         outcome_text(o, plan.currency))
        for o in outcomes
    )
    done = len(outcomes) - len(failed)
    lines = [f"{done} of {len(outcomes)} positions closed"]
    if unknown:
        lines.append("some closes were not confirmed by FxSocket — check /positions; nothing was resent")
    return Reply(title=f"Closed {done} of {len(outcomes)} positions",
                 text=tuple(lines),
                 table=Table(headers=("ID", "Symbol", "Side", "Lots", "Result"), rows=rows,
                             align=("l", "l", "l", "r", "l")),
                 kind=kind)


def cancel_reply(outcome: CancelOutcome) -> Reply:
    order = outcome.order
    return Reply(title=f"Cancelled {display_id(order.id)}",
                 text=(f"{order_type_text(order.type)} {format_volume(order.volume)} {order.symbol} at "
                       f"{_order_price(order)} — removed",),
                 kind=ReplyKind.OK)
