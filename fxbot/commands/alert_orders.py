"""`/alert … then ORDER`: the reply to setting alerts that place an order when they fire (one-cancels-other)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.alerts.firing import describe_rule
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.types import Reply, ReplyKind
from fxbot.errors import UsageError, UserError
from fxbot.services.alert_orders import EXAMPLE, USAGE

if TYPE_CHECKING:
    from fxbot.services.container import Services


ORDER_OPTIONS = tuple(
    Argument(name, ArgKind.TEXT, required=False, keyword=True, max=120,
             help=f"with 'then': the order's {what}")
    for name, what in (("sl", "stop loss (price or 20p)"), ("tp", "take profit (price or 40p)"),
                       ("risk", "risk sizing (1% or money)")))


def refuse_order_options(args: BoundArgs) -> None:
    """sl=/tp=/risk= belong to an order after 'then'; without one they are a mistake."""
    given = [f"{arg.name}=" for arg in ORDER_OPTIONS if args.optional(arg.name, str) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} only go with an order: /alert … then buy 0.1 {given[0]}…",
                         usage=USAGE, example=EXAMPLE)


async def alert_with_orders(cmd: CommandContext[Services], words: list[str]) -> Reply:
    """Set the alert(s) of `words` with their orders; the order runs as you when its alert fires."""
    orders = cmd.services.alert_orders
    if orders is None:
        raise UserError("alerts that place orders are not available in this bot")
    made = await orders.create(cmd.chat, cmd.user, words)
    lines = [f"#{rule.id}: {describe_rule(rule)} → {command}" for rule, command in made]
    if len(made) > 1:
        lines.append("one-cancels-other: the first to fire deletes the other")
    lines.append("when it fires the order is placed as you (or its card shown, per /settings confirm), once; your "
                 "role and the chat's key are checked again then")
    ids = " / ".join(f"/alert del {rule.id}" for rule, _ in made)
    lines.append(f"{ids} removes it")
    return Reply(kind=ReplyKind.OK, title="Alert with order set" if len(made) == 1 else "Alerts with orders set",
                 text=tuple(lines))
