"""Managed stops as order options: trail=20p / be=15p on /buy and /sell (or the chat's defaults) after a fill."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.types import Reply
from fxbot.domain.broker import OrderResult, OrderType, Side
from fxbot.domain.instruments import instrument
from fxbot.errors import UsageError
from fxbot.management.rules import ManagedRule, RuleKind
from fxbot.services.chat_reads import chat_binding

if TYPE_CHECKING:
    from fxbot.services.container import Services

BE_DEFAULT_SETTING = "be_default_pips"
TRAIL_DEFAULT_SETTING = "trail_default_pips"
OPTION_USAGE = "/buy SYMBOL VOLUME [sl=20p] [trail=20p|off] [be=15p|off]"

MANAGED_ORDER_ARGS = (
    Argument("trail", ArgKind.TEXT, required=False, keyword=True, max=16,
             help="the bot trails the stop this many pips behind the best price (off: not for this order)"),
    Argument("be", ArgKind.TEXT, required=False, keyword=True, max=16,
             help="the bot moves the stop to the entry once this many pips in profit (off: not for this order)"),
)
"""The keyword arguments market order commands add for managed stops."""


@dataclass(frozen=True, slots=True)
class OrderManagement:
    """What to manage on the position an order opens: pips, or None for nothing; `defaulted` names what came from
    the chat's /settings."""

    trail_pips: float | None = None
    be_pips: float | None = None
    defaulted: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return self.trail_pips is None and self.be_pips is None


async def order_management(context: CommandContext[Services], args: BoundArgs) -> OrderManagement:
    """The order's trail=/be= (checked before anything is sent), else the chat's defaults."""
    from fxbot.commands.manage import parse_pips

    values: dict[str, float | None] = {}
    defaulted: list[str] = []
    for name, setting in (("trail", TRAIL_DEFAULT_SETTING), ("be", BE_DEFAULT_SETTING)):
        given = args.optional(name, str) if name in args else None
        if given is not None and given.strip().lower() == "off":
            values[name] = None
            continue
        if given is not None:
            value = parse_pips(given, f"{name}=", OPTION_USAGE, "/buy EURUSD 0.1 sl=20p trail=20p")
            values[name] = value if value > 0 else None
            continue
        stored = (await context.services.chat_settings.get(context.chat.id)).extra.get(setting)
        values[name] = float(stored) if stored else None
        if stored:
            defaulted.append(name)
    return OrderManagement(values["trail"], values["be"], tuple(defaulted))


async def manage_fill(context: CommandContext[Services], result: OrderResult, plan: OrderManagement,
                      reply: Reply) -> Reply:
    """Set the planned rules on the position the order opened; the reply says what the bot now manages."""
    stops = context.services.stops
    if plan.empty or stops is None:
        return reply
    spec = instrument(result.symbol)
    if result.status != "filled" or not result.position_id or spec is None:
        return replace(reply, text=(*reply.text, "trail=/be= apply to open positions of known symbols: set them "
                                                 "with /trail or /be once it is one"))
    binding = await chat_binding(context.services.storage, context.chat.id)
    if binding is None:
        return reply
    account_id = binding.account_id or context.ctx.account_id
    if account_id is None:
        accounts = await (await context.services.brokers.for_key(binding.key_id)).list_accounts()
        account_id = accounts[0].id if accounts else None
    if account_id is None:
        return reply
    lines: list[str] = []
    base = ManagedRule(
        id=0, chat_id=context.chat.id, owner_id=context.user.id, private_chat=context.chat.is_private,
        key_id=binding.key_id, account_id=account_id, position_id=result.position_id, symbol=result.symbol,
        side=Side.BUY if result.type is OrderType.BUY else Side.SELL, volume=result.volume,
        entry_points=spec.to_points(result.price), kind=RuleKind.TRAIL, created_at=context.services.clock(),
        stop_points=None if result.sl is None else spec.to_points(result.sl), thread_id=context.chat.thread_id)

    def points(pips: float) -> int:
        return round(pips * spec.pip_size / spec.point)

    if plan.trail_pips is not None:
        await stops.set_rule(replace(base, distance_points=points(plan.trail_pips)))
        lines.append(f"trailing stop {plan.trail_pips:g} pips behind the best price, managed by the bot"
                     + (" (the chat's default)" if "trail" in plan.defaulted else ""))
    if plan.be_pips is not None:
        await stops.set_rule(replace(base, kind=RuleKind.BREAKEVEN, trigger_points=points(plan.be_pips)))
        lines.append(f"breakeven once {plan.be_pips:g} pips in profit, managed by the bot"
                     + (" (the chat's default)" if "be" in plan.defaulted else ""))
    lines.append("/trail lists the managed stops")
    return replace(reply, text=(*reply.text, *lines))


async def set_managed_default(context: CommandContext[Services], what: str, value: str) -> Reply:
    """`/settings trail 20p|off` and `/settings be 15p|off`: what market orders of this chat get by default."""
    from fxbot.commands.manage import parse_pips

    setting = TRAIL_DEFAULT_SETTING if what == "trail" else BE_DEFAULT_SETTING
    usage = f"/settings {what} PIPS|off"
    example = f"/settings {what} {'20p' if what == 'trail' else '15p'}"
    store = context.services.storage.settings
    if value.strip().lower() == "off":
        await store.set_value(context.chat.id, setting, None)
        return Reply(text=(f"default {what}: off — orders get no {_what(what)} unless they say {what}=",))
    if not value.strip():
        raise UsageError(f"give a distance in pips or off for the default {what}", usage=usage, example=example)
    pips = parse_pips(value, f"the default {what}", usage, example)
    if pips <= 0:
        raise UsageError("the distance must be more than 0 pips (or off)", usage=usage, example=example)
    await store.set_value(context.chat.id, setting, f"{pips:g}")
    return Reply(text=(f"default {what}: {pips:g} pips — every /buy and /sell in this chat gets a {_what(what)} "
                       f"managed by the bot ({what}=off skips it for one order)",))


def _what(what: str) -> str:
    return "trailing stop" if what == "trail" else "breakeven"


async def with_managed_defaults(context: CommandContext[Services], reply: Reply) -> Reply:
    """The settings reply plus the chat's managed-stop defaults."""
    values = (await context.services.chat_settings.get(context.chat.id)).extra
    lines = []
    for what, setting in (("trail", TRAIL_DEFAULT_SETTING), ("be", BE_DEFAULT_SETTING)):
        stored = values.get(setting)
        lines.append(f"default {what} on orders: {stored + ' pips' if stored else 'off'} (/settings {what} PIPS|off)")
    return replace(reply, text=(*reply.text[:-1], *lines, *reply.text[-1:]))
