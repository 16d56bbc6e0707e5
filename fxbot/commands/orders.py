"""Position and order commands: /positions, /orders, /modify, /close and /cancel."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs, PriceOrPips
from fxbot.chat.argument_values import ORDER_REF_HINT, convert_value, read_order_ref, shown
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import Reply
from fxbot.commands.trading_replies import modify_reply
from fxbot.commands.trading_tables import (
    cancel_reply,
    close_plan_card,
    close_results_reply,
    orders_reply,
    positions_reply,
)
from fxbot.domain.access import Role, Scope
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.services.trading import MODIFY_USAGE
from fxbot.services.trading_close import CLOSE_USAGE
from fxbot.services.trading_models import ClosePlan, CloseTargetKind, StopEdit

if TYPE_CHECKING:
    from fxbot.services.container import Services

READ = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
TRADE = Permission(scope=Scope.TRADE, role=Role.TRADER)
CATEGORY = "trading"
CONFIRM_TTL_SECONDS = 60.0
CLEAR_WORDS = frozenset({"none", "off", "clear", "remove", "0"})
_VOLUME_LIKE = re.compile(r"\d*[.,]\d+", re.ASCII)
ID_DETAILS = ("ID: " + ORDER_REF_HINT + " — a MetaTrader ticket as the terminal shows it, or a /v1 id "
              "(pos_…, ord_…). Replies show tickets as #12345678.")
_NO_SYMBOLS = SymbolResolver(())


async def positions_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    view = await context.services.trading.positions(context.chat.id)
    return positions_reply(view)


async def orders_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    view = await context.services.trading.pending_orders(context.chat.id)
    settings = await context.services.storage.settings.get(context.chat.id)
    return orders_reply(view, settings.timezone)


def parse_stop_edit(name: str, text: str | None) -> StopEdit | None:
    """A /modify stop: None (not given), StopEdit(None) for sl=none, or a price / pips level."""
    if text is None:
        return None
    if text.strip().lower() in CLEAR_WORDS:
        return StopEdit(None)
    try:
        value = convert_value(Argument(name, ArgKind.PRICE_OR_PIPS), text.strip(), _NO_SYMBOLS)
    except UsageError as error:
        raise UsageError(f"{error.message}, or 'none' to remove it", usage=MODIFY_USAGE,
                         example="/modify 12345678 sl=1.0800 tp=none") from None
    assert isinstance(value, PriceOrPips)
    return StopEdit(value)


async def modify_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    ref = args.text("id")
    sl = parse_stop_edit("sl", args.optional("sl", str))
    tp = parse_stop_edit("tp", args.optional("tp", str))
    price = args.optional("price", float)
    context.record_order_ref(ref)
    outcome = await context.services.trading.modify(context.chat.id, ref, sl=sl, tp=tp, price=price)
    return modify_reply(outcome)


def parse_close_target(text: str) -> tuple[str, CloseTargetKind]:
    """`all`, a position (its ticket `12345678`/`#12345678`, or a `/v1` pos_… id), or a symbol
    (case-insensitive; a typo gets a suggestion). An all-digit word is always a ticket, never a symbol."""
    cleaned = text.strip()
    if cleaned.lower() == "all":
        return "all", "all"
    try:
        ref = read_order_ref(cleaned)
    except UsageError as error:
        raise UsageError(error.message, usage=CLOSE_USAGE, example="/close 12345678") from None
    if ref is not None:
        return ref, "id"
    if _VOLUME_LIKE.fullmatch(cleaned):
        raise UsageError(f"'{shown(cleaned)}' looks like a volume — say first what to close: a ticket, a symbol "
                         f"or all, then the lots (/close 12345678 {cleaned.replace(',', '.')})",
                         usage=CLOSE_USAGE, example="/close 12345678 0.05")
    resolver = SymbolResolver(INSTRUMENTS)
    symbol = resolver.resolve(cleaned)
    if symbol is None:
        raise UsageError(f"{resolver.unknown_message(redact_secrets(cleaned))} (close takes a position's ticket "
                         "or id, a symbol or 'all')",
                         usage=CLOSE_USAGE, example="/close 12345678")
    return symbol, "symbol"


def _plan_ref(plan: ClosePlan) -> str:
    return ",".join(p.id for p in plan.positions)[:200]


async def close_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    target, kind = parse_close_target(args.text("target"))
    volume = args.optional("volume", float)
    trading = context.services.trading
    plan = await trading.plan_close(context.chat.id, target, kind, volume)

    async def run() -> Reply:
        context.record_order_ref(_plan_ref(plan))
        outcomes = await trading.execute_close(plan)
        return close_results_reply(plan, outcomes)

    if not plan.several:
        return await run()
    settings = await context.services.storage.settings.get(context.chat.id)
    if settings.confirm_mode == "never":
        return await run()

    async def cancelled() -> Reply:
        return Reply(text=("cancelled — no position was closed",))

    return context.confirm(close_plan_card(plan, CONFIRM_TTL_SECONDS), run, cancelled,
                           confirm_label=f"Close {len(plan.positions)}", confirm_style="danger")


async def cancel_command(context: CommandContext[Services], args: BoundArgs) -> Reply:
    ref = args.text("id")
    context.record_order_ref(ref)
    outcome = await context.services.trading.cancel(context.chat.id, ref)
    return cancel_reply(outcome)


def register(registry: CommandRegistry[Services]) -> None:
    """Add /positions /orders /modify /close /cancel."""
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
        summary="Close a position, every position of a symbol, or all (VOLUME: partly)",
        usage=CLOSE_USAGE,
        examples=("/close 12345678", "/close #12345678 0.05", "/close pos_123", "/close EURUSD", "/close all"),
        arguments=(
            Argument("target", ArgKind.TEXT,
                     help="a position's ticket (12345678 or #12345678) or id (pos_…), a symbol, or all"),
            Argument("volume", ArgKind.VOLUME, required=False,
                     help="close only this many lots of one position"),
        ),
        permission=TRADE, handler=close_command, state_changing=True, category=CATEGORY,
        details="Closing several positions shows a card listing them first (not when the chat's policy is "
                "/settings confirm never); each result is reported. A VOLUME closes part of one position; it "
                "always comes after the target (a number alone is a ticket, never a volume). " + ID_DETAILS,
    ))
    registry.register(CommandSpec(
        name="cancel", aliases=(), summary="Cancel a pending order",
        usage="/cancel ID", examples=("/cancel 12345678", "/cancel #12345678", "/cancel ord_123"),
        arguments=(Argument("id", ArgKind.ORDER_REF,
                            help="a pending order's ticket (12345678 or #12345678) or id (ord_…) from /orders"),),
        permission=TRADE, handler=cancel_command, state_changing=True, category=CATEGORY, details=ID_DETAILS,
    ))
