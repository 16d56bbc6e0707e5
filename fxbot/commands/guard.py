"""The /guard command: show or set the account guard's limits, turn it off, or lift a block early."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fxbot.chat.access import check_access
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.access import Role, Scope
from fxbot.domain.formatting import format_time
from fxbot.errors import FxbotError, UserError
from fxbot.guard.rules import GUARD_USAGE
from fxbot.guard.service import GuardService, GuardView
from fxbot.guard.state import Phase
from fxbot.services.chat_settings import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    from fxbot.services.container import Services

SHOW = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
CHANGE = Permission(scope=Scope.READ_ONLY, role=Role.ADMIN)


def _guard(cmd: CommandContext[Services]) -> GuardService:
    guard = cmd.services.guard
    if guard is None:
        raise UserError("the account guard is not available in this bot")
    return guard


def view_reply(view: GuardView, timezone: str) -> Reply:
    lines = []
    if view.limits is None:
        lines.append("no limit is set — e.g. /guard daily-loss 3% or /guard max-lots 2 (a chat admin sets them)")
    else:
        lines += view.limits.limits.lines()
        lines.append(f"set by {view.limits.updated_by} at {format_time(view.limits.updated_at, timezone)}")
    state = view.state
    if state is not None:
        if state.phase is Phase.BLOCKED:
            lines.append(f"BLOCKED until {format_time(state.blocked_until, timezone)}: {state.trigger or ''}".rstrip())
            lines.append("lift it early: /guard unblock (an admin, with a confirmation)")
        elif state.phase is Phase.ACTING:
            lines.append(f"ACTING: closing every position and pending order ({state.trigger or ''})")
        else:
            lines.append(f"state: {state.phase.value}"
                         + (f"; the trading day started at equity {state.day_start_equity:,.2f}"
                            if state.day_start_equity is not None else ""))
    return Reply(title=f"Guard of account {view.account_id}", text=tuple(lines))


async def with_guard_summary(cmd: CommandContext[Services], reply: Reply) -> Reply:
    """The settings reply plus one line on the account guard (its limits, or a block in force)."""
    guard = cmd.services.guard
    if guard is None:
        return reply
    try:
        view = await guard.view(cmd.chat.id)
    except FxbotError:  # the account could not be read: /settings still answers
        line = "guard: /guard shows it (the account could not be read now)"
    else:
        if view.limits is None:
            line = "guard: no limit set (/guard daily-loss 3%, /guard max-lots 2 …)"
        else:
            line = "guard: " + "; ".join(view.limits.limits.lines())
        if view.state is not None and view.state.phase is Phase.BLOCKED:
            zone = (await cmd.services.chat_settings.get(cmd.chat.id)).timezone or DEFAULT_TIMEZONE
            line += f" — BLOCKED until {format_time(view.state.blocked_until, zone)}"
    return replace(reply, text=(*reply.text[:-1], line, *reply.text[-1:]))


async def guard_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    guard = _guard(cmd)
    words = (args.optional("request", str) or "").split()
    warn = args.optional("warn", str)
    if warn is not None:
        if not words or words[0].lower() != "daily-loss":
            raise UserError("warn= goes with daily-loss", usage=GUARD_USAGE, example="/guard daily-loss 3% warn=80%")
        words.append(f"warn={warn}")
    timezone = await cmd.services.chat_settings.timezone(cmd.chat.id)
    if not words:
        cmd.skip_audit()
        return view_reply(await guard.view(cmd.chat.id), timezone)
    denial = check_access(CHANGE, cmd.ctx, "guard")
    if denial is not None:
        raise denial
    action = words[0].lower()
    if action == "off":
        if len(words) > 1:
            raise UserError("'off' takes nothing after it", usage=GUARD_USAGE, example="/guard off")
        account_id, removed = await guard.turn_off(cmd.chat.id)
        if not removed:
            return Reply(text=(f"the guard of account {account_id} has no limit — nothing changed",))
        view = await guard.view(cmd.chat.id)
        still = (" — a block in force stays until it runs out or /guard unblock"
                 if view.state is not None and view.state.phase is Phase.BLOCKED else "")
        return Reply(kind=ReplyKind.OK, text=(f"guard of account {account_id} turned off: every limit removed{still}",))
    if action == "unblock":
        if len(words) > 1:
            raise UserError("'unblock' takes nothing after it", usage=GUARD_USAGE, example="/guard unblock")
        view = await guard.view(cmd.chat.id)
        if view.state is None or view.state.phase is not Phase.BLOCKED:
            cmd.skip_audit()
            return Reply(text=(f"account {view.account_id} is not blocked by the guard — nothing to lift",))
        card = Reply(title="Lift the guard's block?", text=(
            f"account {view.account_id} is blocked until {format_time(view.state.blocked_until, timezone)}: "
            f"{view.state.trigger or ''}".rstrip(),
            "Lifting it allows new orders now; the rest of the day's loss is measured from the equity at "
            "the next update."))

        async def lift() -> Reply:
            account_id, lifted = await guard.unblock(cmd.chat.id)
            if not lifted:
                return Reply(text=(f"account {account_id} is no longer blocked — nothing changed",))
            return Reply(kind=ReplyKind.OK, text=(f"block of account {account_id} lifted — new orders are allowed",))

        return cmd.confirm(card, lift, confirm_label="Lift the block", confirm_style="danger")
    account_id, limits = await guard.set_limit(cmd.chat.id, cmd.user.id, words)
    return Reply(kind=ReplyKind.OK, title=f"Guard of account {account_id}", text=tuple(limits.lines()))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /guard."""
    registry.register(
        CommandSpec(
            name="guard",
            aliases=(),
            summary="Account guard: a daily loss limit that closes everything and blocks orders; exposure limits",
            usage=GUARD_USAGE,
            examples=("/guard", "/guard daily-loss 3%", "/guard daily-loss 300 warn=70%", "/guard daily-profit 5%",
                      "/guard max-lots 2", "/guard max-positions 5", "/guard max-risk 2%", "/guard max-spread 3p",
                      "/guard off", "/guard unblock"),
            arguments=(
                Argument("request", ArgKind.TEXT, required=False, max=100,
                         help="a limit and its value, off, unblock (nothing: what is set)"),
                Argument("warn", ArgKind.TEXT, required=False, keyword=True, max=8,
                         help="with daily-loss: the warning level, a percentage of the limit (default 80%)"),
            ),
            permission=SHOW,
            handler=guard_command,
            state_changing=True,
            category="account",
            details=("The daily loss is measured from the trading day's start equity (17:00 New York), floating "
                     "P&L included. At the warning level (80% unless warn= says otherwise) every chat bound to the "
                     "account gets a critical warning; at the limit the guard closes every position, cancels "
                     "pending orders and refuses new orders on the account until the next trading day; closing "
                     "and reducing stay allowed. daily-profit locks the day's gains the same way. Exposure limits "
                     "refuse an order before it is sent. Anyone may see the guard; changing it needs a chat admin "
                     "and is audited; /guard unblock lifts a block early after a confirmation."),
        )
    )
