"""Position and order commands: /positions, /orders, /modify, /close, /cancel and /reverse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.argument_values import ORDER_REF_HINT, read_order_ref
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import Reply
from fxbot.commands.close_replies import cancel_plan_card, cancel_results_reply, reverse_card, reverse_reply
from fxbot.commands.order_args import parse_close_words, parse_stop_edit
from fxbot.commands.trading_replies import modify_reply
from fxbot.commands.trading_tables import (
    cancel_reply,
    close_plan_card,
    close_results_reply,
    orders_reply,
    positions_reply,
)
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import display_id
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.services.close_filters import (
    CANCEL_USAGE,
    CLOSE_USAGE,
)
from fxbot.services.trading_models import ClosePlan
from fxbot.services.trading_modify import MODIFY_USAGE

if TYPE_CHECKING:
    from fxbot.services.container import Services

READ = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
TRADE = Permission(scope=Scope.TRADE, role=Role.TRADER)
CATEGORY = "trading"
CONFIRM_TTL_SECONDS = 60.0
ID_DETAILS = ("ID: " + ORDER_REF_HINT + " — a MetaTrader ticket as the terminal shows it, or a /v1 id "
              "(pos_…, ord_…). Replies show tickets as #12345678.")


async def positions_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    view = await context.services.trading.positions(context.chat.id)
    return positions_reply(view)


async def orders_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    view = await context.services.trading.pending_orders(context.chat.id)
    settings = await context.services.chat_settings.get(context.chat.id)
    return orders_reply(view, settings.timezone)


async def modify_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    ref = args.text("id")
    sl = parse_stop_edit("sl", args.optional("sl", str))
    tp = parse_stop_edit("tp", args.optional("tp", str))
    price = args.optional("price", float)
    context.record_order_ref(ref)
    outcome = await context.services.trading.modify(context.chat.id, ref, sl=sl, tp=tp, price=price)
    return modify_reply(outcome)


def _plan_ref(plan: ClosePlan) -> str:
    return ",".join(p.id for p in plan.positions)[:200]


async def close_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    words = [args.text("target"), *(args.optional("volume", str) or "").split()]
    request = parse_close_words(words)
    trading = context.services.trading
    plan = await trading.plan_close(context.chat.id, request.target, request.kind, amount=request.amount,
                                    close_filter=request.close_filter)

    async def run() -> Reply:
        context.record_order_ref(_plan_ref(plan))
        outcomes = await trading.execute_close(plan)
        return close_results_reply(plan, outcomes)

    if not plan.needs_card:
        return await run()
    settings = await context.services.chat_settings.get(context.chat.id)
    if settings.confirm_mode == "never":
        return await run()

    async def cancelled() -> Reply:
        return Reply(text=("cancelled — no position was closed",))

    return context.confirm(close_plan_card(plan, CONFIRM_TTL_SECONDS), run, cancelled,
                           confirm_label=f"Close {len(plan.positions)}", confirm_style="danger")


async def cancel_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    text = args.text("id").strip()
    trading = context.services.trading
    ref = read_order_ref(text) if text.lower() != "all" else None
    if ref is not None:
        context.record_order_ref(ref)
        outcome = await trading.cancel(context.chat.id, ref)
        return cancel_reply(outcome)
    symbol: str | None = None
    if text.lower() != "all":
        resolver = SymbolResolver(INSTRUMENTS)
        symbol = resolver.resolve(text)
        if symbol is None:
            raise UsageError(f"{resolver.unknown_message(redact_secrets(text))} (cancel takes a pending order's "
                             "ticket or id, a symbol or all)", usage=CANCEL_USAGE, example="/cancel 12345678")
    plan = await trading.plan_cancel(context.chat.id, symbol)

    async def run() -> Reply:
        context.record_order_ref(",".join(o.id for o in plan.orders)[:200])
        return cancel_results_reply(plan, await trading.execute_cancel(plan))

    settings = await context.services.chat_settings.get(context.chat.id)
    if settings.confirm_mode == "never":
        return await run()

    async def cancelled() -> Reply:
        return Reply(text=("cancelled — no order was cancelled",))

    return context.confirm(cancel_plan_card(plan, CONFIRM_TTL_SECONDS), run, cancelled,
                           confirm_label=f"Cancel {len(plan.orders)}", confirm_style="danger")


async def reverse_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    ref = args.text("id")
    trading = context.services.trading
    plan = await trading.plan_reverse(context.chat.id, ref)

    async def run() -> Reply:
        context.record_order_ref(plan.position.id)
        outcome = await trading.execute_reverse(plan)
        if outcome.opened is not None:
            context.record_order_ref(outcome.opened.id)
        return reverse_reply(plan, outcome)

    async def cancelled() -> Reply:
        return Reply(text=(f"cancelled — {display_id(plan.position.id)} was not closed or reversed",))

    return context.confirm(reverse_card(plan, CONFIRM_TTL_SECONDS), run, cancelled,
                           confirm_label="Reverse", confirm_style="danger")


def register(registry: CommandRegistry[Services]) -> None:
    """Add /positions /orders /modify /close /cancel /reverse."""
    registry.register(CommandSpec(
        name="positions", aliases=("pos",), summary="Open positions with stops and floating P&L",
        usage="/positions", examples=("/positions",), arguments=(), permission=READ,
        handler=positions_command, category=CATEGORY,
    ))
    registry.register(CommandSpec(
        name="orders", aliases=(), summary="Pending (limit and stop) orders",
        usage="/orders", examples=("/orders",), arguments=(), permission=READ,
        handler=orders_command, category=CATEGORY,
    ))
    registry.register(CommandSpec(
        name="modify", aliases=(),
        summary="Change the SL/TP of a position, or the price/SL/TP of a pending order",
        usage=MODIFY_USAGE,
        examples=("/modify 12345678 sl=1.0800 tp=1.0900", "/modify #12345678 sl=20p", "/modify pos_123 tp=none",
                  "/modify ord_456 price=1.0750"),
        arguments=(
            Argument("id", ArgKind.ORDER_REF,
                     help="a position or pending order: ticket (12345678, #12345678) or id (pos_…, ord_…)"),
            Argument("sl", ArgKind.TEXT, required=False, keyword=True, max=32,
                     help="new stop loss: a price, pips (20p, from the open/order price) or none "
                          "to remove it"),
            Argument("tp", ArgKind.TEXT, required=False, keyword=True, max=32,
                     help="new take profit: a price, pips (40p) or none to remove it"),
            Argument("price", ArgKind.PRICE, required=False, keyword=True,
                     help="new price of a pending order"),
        ),
        permission=TRADE, handler=modify_command, state_changing=True, category=CATEGORY,
        details="sl=none (or off) removes a stop. Stops on the wrong side of the current price are refused "
                "before anything is sent. " + ID_DETAILS,
    ))
    registry.register(CommandSpec(
        name="close", aliases=(),
        summary="Close a position (or part: lots or %), or every position matching filters, or all",
        usage=CLOSE_USAGE,
        examples=("/close 12345678", "/close #12345678 0.05", "/close #12345678 50%", "/close EURUSD",
                  "/close losers", "/close EURUSD buy winners", "/close all"),
        arguments=(
            Argument("target", ArgKind.TEXT,
                     help="a position's ticket (12345678 or #12345678) or id (pos_…), a symbol, buy|sell, "
                          "winners|losers, or all"),
            Argument("volume", ArgKind.TEXT, required=False, max=64,
                     help="lots (0.05) or a percentage (50%) of one position; or more filters"),
        ),
        permission=TRADE, handler=close_command, state_changing=True, category=CATEGORY,
        details="Filters combine: /close EURUSD losers closes every EURUSD position with a net loss; winners and "
                "losers go by the net floating P&L (profit + commission + swap). Closing several positions, or "
                "by side or winners/losers, shows ONE card listing them and the P&L at stake first (not when "
                "the chat's policy is /settings confirm never); each close is its own order and each result is "
                "reported — an unconfirmed close is never resent. A VOLUME or PERCENT% closes part of one "
                "position (a percentage is rounded down to the volume step; if what would remain is below the "
                "minimum volume the whole position is closed, and the reply says so); it always comes after the "
                "target (a number alone is a ticket, never a volume). " + ID_DETAILS,
    ))
    registry.register(CommandSpec(
        name="cancel", aliases=(), summary="Cancel a pending order, every pending order of a symbol, or all",
        usage=CANCEL_USAGE,
        examples=("/cancel 12345678", "/cancel #12345678", "/cancel ord_123", "/cancel EURUSD", "/cancel all"),
        arguments=(Argument("id", ArgKind.TEXT, max=64,
                            help="a pending order's ticket (12345678 or #12345678) or id (ord_…) from /orders, "
                                 "a symbol, or all"),),
        permission=TRADE, handler=cancel_command, state_changing=True, category=CATEGORY,
        details="/cancel SYMBOL and /cancel all show one card listing the orders first (not with /settings "
                "confirm never); each cancel is reported, an unconfirmed one is never resent. " + ID_DETAILS,
    ))
    registry.register(CommandSpec(
        name="reverse", aliases=(), summary="Close a position and open the opposite side with the same volume",
        usage="/reverse ID", examples=("/reverse 12345678", "/reverse #12345678", "/reverse pos_123"),
        arguments=(Argument("id", ArgKind.ORDER_REF,
                            help="an open position's ticket (12345678 or #12345678) or id (pos_…)"),),
        permission=TRADE, handler=reverse_command, state_changing=True, category=CATEGORY,
        details="One confirmation, two orders: the position is closed at the market, then — only once the "
                "close is confirmed — the opposite side is opened with the same volume at the market, without "
                "stops (set them with /modify). If the second order fails you are left flat: the close stands, "
                "the reply says why the opening failed, and nothing is resent. " + ID_DETAILS,
    ))
