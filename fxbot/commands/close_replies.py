"""Replies of the bulk cancel (/cancel all|SYMBOL) and of /reverse: their confirmation cards and results."""

from __future__ import annotations

from fxbot.chat.types import Reply, ReplyKind, Table
from fxbot.commands.trading_replies import order_type_text
from fxbot.commands.trading_tables import outcome_text
from fxbot.domain.broker import PendingOrder, display_id
from fxbot.domain.formatting import format_lots, format_price, format_signed_money, format_volume
from fxbot.services.pnl_figures import position_net
from fxbot.services.trading_models import CancelItemOutcome, CancelPlan, ReverseOutcome, ReversePlan


def _order_row(order: PendingOrder) -> tuple[str, ...]:
    return (display_id(order.id), order.symbol, order_type_text(order.type), format_volume(order.volume),
            format_price(order.symbol, order.price))


def cancel_plan_card(plan: CancelPlan, ttl_seconds: float) -> Reply:
    """The card listing the pending orders a /cancel all|SYMBOL will cancel."""
    count = len(plan.orders)
    what = "every pending order" if plan.target == "all" else f"every pending {plan.target} order"
    noun = "order" if count == 1 else "orders"
    return Reply(
        title=f"Cancel {count} pending {noun}?",
        text=(f"this cancels {what} ({count}), one request each", f"confirm within {ttl_seconds:g} s"),
        table=Table(headers=("ID", "Symbol", "Type", "Lots", "Price"), rows=tuple(_order_row(o) for o in plan.orders),
                    align=("l", "l", "l", "r", "r")),
        kind=ReplyKind.WARNING,
    )


def _cancel_text(outcome: CancelItemOutcome) -> str:
    if outcome.result is not None:
        return "cancelled"
    return ("UNKNOWN: " if outcome.outcome_unknown else "FAILED: ") + (outcome.error or "no answer")


def cancel_results_reply(plan: CancelPlan, outcomes: list[CancelItemOutcome]) -> Reply:
    """What each cancel of a bulk /cancel did."""
    done = sum(1 for o in outcomes if o.result is not None)
    unknown = any(o.outcome_unknown for o in outcomes)
    kind = ReplyKind.OK if done == len(outcomes) else (ReplyKind.WARNING if done or unknown else ReplyKind.ERROR)
    lines = [f"{done} of {len(outcomes)} pending orders cancelled"]
    if unknown:
        lines.append("some cancels were not confirmed by FxSocket — check /orders; nothing was resent")
    rows = tuple((*_order_row(o.order), _cancel_text(o)) for o in outcomes)
    return Reply(title=f"Cancelled {done} of {len(outcomes)} pending orders", text=tuple(lines),
                 table=Table(headers=("ID", "Symbol", "Type", "Lots", "Price", "Result"), rows=rows,
                             align=("l", "l", "l", "r", "r", "l")),
                 kind=kind)


def reverse_card(plan: ReversePlan, ttl_seconds: float) -> Reply:
    """The one confirmation of a /reverse: both legs and what happens if the second fails."""
    p = plan.position
    opposite = order_type_text(plan.request.type)
    return Reply(
        title=f"Reverse {display_id(p.id)}: {p.type.value} {format_lots(p.volume)} {p.symbol} → {opposite}?",
        text=(
            f"1. close {display_id(p.id)} ({p.type.value} {format_lots(p.volume)} {p.symbol}, opened at "
            f"{format_price(p.symbol, p.open_price)}, net P&L now "
            f"{format_signed_money(position_net(p), plan.currency)}) at the market",
            f"2. then open {opposite} {format_lots(p.volume)} {p.symbol} at the market, without stops (set them with "
            "/modify)",
            "if the close is not confirmed, nothing is opened; if the opening fails after the close, you are left "
            "flat — the close stands, the reply says why, and nothing is resent",
            f"confirm within {ttl_seconds:g} s",
        ),
        kind=ReplyKind.WARNING,
    )


def reverse_reply(plan: ReversePlan, outcome: ReverseOutcome) -> Reply:
    """Both legs of a /reverse, each with its own result."""
    p = plan.position
    first = f"close {display_id(p.id)}: {outcome_text(outcome.close, plan.currency)}"
    if not outcome.close.ok:
        return Reply(title=f"{display_id(p.id)} not reversed", kind=ReplyKind.ERROR if not outcome.close.outcome_unknown
                     else ReplyKind.WARNING,
                     text=(first, "the opposite position was NOT opened"))
    opposite = order_type_text(plan.request.type)
    if outcome.opened is None:
        second = ("UNKNOWN: " if outcome.open_unknown else "FAILED: ") + (outcome.open_error or "no answer")
        return Reply(title=f"{display_id(p.id)} closed, but the {opposite} was not confirmed",
                     text=(first, f"open {opposite} {format_lots(p.volume)} {p.symbol}: {second}",
                           "the first leg's close stands; the opening was NOT resent — check /positions"),
                     kind=ReplyKind.WARNING)
    opened = outcome.opened
    where = f" (position {display_id(opened.position_id)})" if opened.position_id else ""
    return Reply(title=f"Reversed {display_id(p.id)}: now {opposite} {format_lots(opened.volume)} {p.symbol}",
                 text=(first, f"opened {opposite} {format_lots(opened.volume)} at "
                              f"{format_price(p.symbol, opened.price)}, order {display_id(opened.id)}{where}"),
                 kind=ReplyKind.OK)
