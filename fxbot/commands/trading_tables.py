"""Replies listing positions, pending orders, close plans and close/cancel results as tables."""

from __future__ import annotations

from fxbot.chat.types import Reply, ReplyKind, Table
from fxbot.commands.trading_replies import order_type_text
from fxbot.domain.formatting import (
    format_money,
    format_percent,
    format_price,
    format_signed_money,
    format_time,
    format_volume,
)
from fxbot.fxsocket.models import Account, Position
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


def positions_table(positions: list[Position], currency: str) -> Table:
    rows = tuple(
        (
            p.id, p.symbol, p.type.value, format_volume(p.volume), format_price(p.symbol, p.open_price),
            format_price(p.symbol, p.current_price), format_price(p.symbol, p.sl),
            format_price(p.symbol, p.tp), format_signed_money(p.profit, None),
        )
        for p in positions
    )
    return Table(headers=("ID", "Symbol", "Side", "Lots", "Open", "Now", "SL", "TP", f"P&L {currency}"),
                 rows=rows, align=("l", "l", "l", "r", "r", "r", "r", "r", "r"))


def positions_reply(view: AccountPositions) -> Reply:
    """/positions: a table of open positions and the account's figures."""
    account = view.account
    if not view.positions:
        return Reply(title=f"No open positions — {account.id}", text=(_account_line(account),))
    total = sum(p.profit for p in view.positions)
    count = len(view.positions)
    lines = (
        f"{count} open position{'s' if count != 1 else ''}, floating P&L "
        f"{format_signed_money(total, account.currency)}",
        _account_line(account),
        "/close ID closes one, /modify ID sl=… tp=… changes its stops",
    )
    return Reply(title=f"Open positions — {account.id}", text=lines,
                 table=positions_table(view.positions, account.currency))


def orders_reply(view: AccountOrders, timezone: str | None) -> Reply:
    """/orders: a table of pending orders."""
    account = view.account
    if not view.orders:
        return Reply(title=f"No pending orders — {account.id}",
                     text=("/buylimit, /selllimit, /buystop and /sellstop place one",))
    rows = tuple(
        (
            o.id, o.symbol, order_type_text(o.type), format_volume(o.volume), format_price(o.symbol, o.price),
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
    what = "every open position" if plan.kind == "all" else f"every {plan.target} position"
    total = sum(p.profit for p in plan.positions)
    return Reply(
        title=f"Close {count} positions?",
        text=(f"this closes {what} ({count}) at the market price; floating P&L now "
              f"{format_signed_money(total, plan.currency)}",
              f"confirm within {ttl_seconds:g} s"),
        table=positions_table(plan.positions, plan.currency),
        kind=ReplyKind.WARNING,
    )


def _outcome_text(outcome: CloseOutcome, currency: str) -> str:
    result = outcome.result
    if result is None:
        return ("UNKNOWN: " if outcome.outcome_unknown else "FAILED: ") + (outcome.error or "no answer")
    symbol = outcome.position.symbol
    price = format_price(symbol, result.close_price)
    profit = format_signed_money(result.profit, currency)
    if result.status == "partially_closed":
        remaining = format_volume(result.remaining) if result.remaining is not None else "?"
        return f"partly closed at {price}, P&L {profit}, {remaining} lots remain"
    return f"closed at {price}, P&L {profit}"


def close_results_reply(plan: ClosePlan, outcomes: list[CloseOutcome]) -> Reply:
    """The result of a /close: one line (a single position) or a table (several)."""
    failed = [o for o in outcomes if not o.ok]
    unknown = any(o.outcome_unknown for o in outcomes)
    kind = ReplyKind.OK if not failed else (ReplyKind.WARNING if unknown or len(failed) < len(outcomes)
                                            else ReplyKind.ERROR)
    if len(outcomes) == 1:
        only = outcomes[0]
        position = only.position
        title = f"{position.id} ({position.type.value} {format_volume(position.volume)} {position.symbol})"
        return Reply(title=title, text=(_outcome_text(only, plan.currency),), kind=kind)
    rows = tuple(
        (o.position.id, o.position.symbol, o.position.type.value, format_volume(o.position.volume),
         _outcome_text(o, plan.currency))
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
    return Reply(title=f"Cancelled {order.id}",
                 text=(f"{order_type_text(order.type)} {format_volume(order.volume)} {order.symbol} at "
                       f"{format_price(order.symbol, order.price)} — removed",),
                 kind=ReplyKind.OK)
