"""The /alert, /alerts and /notify commands: price and account alerts, and fill notification settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from fxbot.alerts.firing import describe_rule
from fxbot.alerts.order_spec import has_order
from fxbot.alerts.rules import Mode, PriceRule, Rule
from fxbot.alerts.spec_times import AlertSpecError, parse_duration
from fxbot.chat.access import check_access
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.commands.alert_orders import ORDER_OPTIONS, alert_with_orders, refuse_order_options
from fxbot.domain.access import Role
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.notify.preferences import ALL_FILLS, EVENT_TYPES, NOTIFY_MODES, OTHER_TYPES
from fxbot.services.alert_snoozes import MAX_SNOOZE
from fxbot.services.alerts import ALERT_EXAMPLE, ALERT_USAGE, AlertView

if TYPE_CHECKING:
    from fxbot.services.container import Services

# Creating, deleting, pausing alerts: a trader (in a private chat its owner). No key scope: a
# read-only key may have alerts (they only read), and deleting works even after the key is gone.
MANAGE = Permission(scope=None, role=Role.TRADER, needs_binding=False)
VIEW = Permission(scope=None, role=Role.VIEWER, needs_binding=False)
CHANGE_NOTIFY = Permission(scope=None, role=Role.TRADER, needs_binding=False)

NOTIFY_USAGE = "/notify [fills|TYPE on|silent|off]"
DELETE_WORDS = ("del", "delete", "rm", "remove")
_TYPE_WORDS = {
    "watchdog": "the watchdog: stream, FxSocket, terminal or key down, and the bot restarted",
    "order_placed": "pending order placed",
    "pending_triggered": "pending order triggered",
    "position_opened": "position opened",
    "modified": "SL/TP modified",
    "closed_manual": "closed manually",
    "sl_hit": "closed by stop loss",
    "tp_hit": "closed by take profit",
    "stop_out": "stop-out",
    "partial_close": "partial close",
    "cancelled": "order cancelled",
    "rejected": "order rejected",
    "trail": "stop moved by /be or /trail",
}


def _rule_id(text: str | None, verb: str) -> int:
    cleaned = (text or "").strip().lstrip("#")
    if not cleaned.isdigit() or not 0 < int(cleaned) < 2**63:  # SQLite integers are 64-bit
        shown = (text or "")[:24]
        what = f"'{shown}' is not an alert id" if text else f"which alert should I {verb}?"
        example = f"/alert {verb} 12" if verb != "del" else "/alert del 12"
        raise UsageError(f"{what} — /alerts lists the ids", usage=ALERT_USAGE, example=example)
    return int(cleaned)


def _when(moment: datetime | None, tz: str | None) -> str:
    if moment is None:
        return "-"
    zone = ZoneInfo(tz) if tz else ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") + ("" if tz else " UTC")


def _mode(rule: Rule) -> str:
    if isinstance(rule, PriceRule) and rule.mode is Mode.REPEAT:
        return f"repeat {rule.repeat_minutes}m"
    return rule.mode.value


def alert_line(view: AlertView, tz: str | None) -> str:
    rule = view.rule
    parts = [f"#{rule.id} {describe_rule(rule)}", view.status, _mode(rule)]
    if rule.state.fire_seq:
        parts.append(f"fired {rule.state.fire_seq}× (last {_when(rule.state.last_fired_at, tz)})")
    if rule.expires_at is not None and view.active:
        parts.append(f"until {_when(rule.expires_at, tz)}")
    if rule.note:
        parts.append(f"“{redact_secrets(rule.note)}”")  # notes stored before keys were masked at creation
    return " · ".join(parts)


async def alert_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    words = (args.optional("spec", str) or "").split()
    service = cmd.services.alerts
    head = words[0].lower() if words else ""
    if head in DELETE_WORDS:
        if len(words) != 2:
            raise UsageError("say which alert to delete: an id or all", usage=ALERT_USAGE, example="/alert del 12")
        if words[1].lower() == "all":
            count = await service.delete_all(cmd.chat.id)
            return Reply(kind=ReplyKind.OK, text=(f"deleted {count} alert{'s' if count != 1 else ''} of this chat",))
        rule = await service.delete(cmd.chat.id, _rule_id(words[1], "del"))
        return Reply(kind=ReplyKind.OK, text=(f"deleted alert #{rule.id}: {describe_rule(rule)}",))
    if head in ("pause", "resume"):
        if len(words) != 2:
            raise UsageError(f"say which alert to {head}", usage=ALERT_USAGE, example=f"/alert {head} 12")
        rule_id = _rule_id(words[1], head)
        rule = await (service.pause if head == "pause" else service.resume)(cmd.chat.id, rule_id)
        done = "paused" if head == "pause" else "resumed (armed again from the current price)"
        return Reply(kind=ReplyKind.OK, text=(f"alert #{rule.id} {done}: {describe_rule(rule)}",))
    if head == "snooze":
        return await _snooze(cmd, words)
    if head in ("list", "ls"):
        cmd.skip_audit()
        return await _listing(cmd)
    if has_order(words):
        return await alert_with_orders(cmd, cmd.command.text.split()[1:])  # the order's sl=/tp= in place
    refuse_order_options(args)
    created = await service.create(cmd.chat.id, cmd.user.id, words, thread_id=cmd.chat.thread_id)
    rule = created.rule
    lines = [describe_rule(rule), f"mode: {_mode(rule)}"]
    tz = (await cmd.services.chat_settings.get(cmd.chat.id)).timezone
    if rule.expires_at is not None:
        lines.append(f"until {_when(rule.expires_at, tz)}")
    if rule.note:
        lines.append(f"note: {redact_secrets(rule.note)}")
    if created.fired_now:
        lines.append("the condition already holds, so it fired at once")
    lines.append(f"/alerts lists your alerts · /alert del {rule.id} removes this one")
    return Reply(kind=ReplyKind.OK, title=f"Alert #{rule.id} set", text=tuple(lines))


async def _snooze(cmd: CommandContext[Services], words: list[str]) -> Reply:
    """/alert snooze ID [1h]: paused now, resumed by itself when the time is up (again: only the end moves)."""
    if len(words) not in (2, 3):
        raise UsageError("say which alert to snooze, and for how long", usage=ALERT_USAGE,
                         example="/alert snooze 12 1h")
    rule_id = _rule_id(words[1], "snooze")
    try:
        span = parse_duration(words[2] if len(words) == 3 else "1h", "snooze", maximum=MAX_SNOOZE)
    except AlertSpecError as error:
        raise UsageError(str(error), usage=ALERT_USAGE, example="/alert snooze 12 1h") from None
    snoozes = cmd.services.snoozes
    if snoozes is None:  # pragma: no cover - always wired by build_services
        raise UsageError("snoozing is not available here — /alert pause ID pauses the alert")
    rule, until = await snoozes.snooze(cmd.chat.id, rule_id, span)
    tz = (await cmd.services.chat_settings.get(cmd.chat.id)).timezone
    return Reply(kind=ReplyKind.OK, text=(f"alert #{rule.id} snoozed until {_when(until, tz)}: {describe_rule(rule)}",
                                          f"/alert resume {rule.id} resumes it now"))


async def _listing(cmd: CommandContext[Services]) -> Reply:
    views = await cmd.services.alerts.list_alerts(cmd.chat.id)
    tz = (await cmd.services.chat_settings.get(cmd.chat.id)).timezone
    if not views:
        return Reply(title="Alerts", text=(f"no alerts in this chat — set one with {ALERT_EXAMPLE}",))
    active = [v for v in views if v.active]
    recent = [v for v in views if not v.active]
    orders = await cmd.services.alert_orders.pending_in_chat(cmd.chat.id) if cmd.services.alert_orders else {}
    lines: list[str] = []
    if active:
        lines.append(f"active ({len(active)}):")
        lines.extend("  " + alert_line(v, tz) + (f" → then {orders[v.rule.id]}" if v.rule.id in orders else "")
                     for v in active)
    if recent:
        lines.append(f"recently fired or expired ({len(recent)}):")
        lines.extend("  " + alert_line(v, tz) for v in recent)
    lines.append("/alert del ID|all · /alert pause|resume ID")
    return Reply(title="Alerts", text=tuple(lines))


async def alerts_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    return await _listing(cmd)


def _notify_reply(modes: Mapping[str, str], title: str = "Fill notifications") -> Reply:
    lines = [f"{event}: {modes.get(event, 'on')} ({_TYPE_WORDS.get(event, event)})"
             for event in EVENT_TYPES + OTHER_TYPES]
    lines.append(f"change: {NOTIFY_USAGE} — e.g. /notify fills silent, /notify sl_hit on")
    return Reply(title=title, text=tuple(lines))


async def notify_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    what = args.optional("what", str)
    mode = args.optional("mode", str)
    service = cmd.services.alerts
    if what is None:
        cmd.skip_audit()
        watchdog = await service.preferences.mode(cmd.chat.id, "watchdog")
        return _notify_reply({**await service.notify_settings(cmd.chat.id), "watchdog": watchdog})
    what = what.lower()
    if what != ALL_FILLS and what not in EVENT_TYPES + OTHER_TYPES:
        raise UsageError(f"'{what[:32]}' is not a notification type: use fills or one of "
                         f"{', '.join(EVENT_TYPES + OTHER_TYPES)}",
                         usage=NOTIFY_USAGE, example="/notify fills silent")
    if mode is None:
        raise UsageError(f"say on, silent or off for {what}", usage=NOTIFY_USAGE, example=f"/notify {what} on")
    denial = check_access(CHANGE_NOTIFY, cmd.ctx, "notify")
    if denial is not None:
        raise denial
    await service.set_notify(cmd.chat.id, what, mode)
    done = "every fill notification" if what == ALL_FILLS else what
    return Reply(kind=ReplyKind.OK, text=(f"{done}: {mode.lower()}",))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /alert, /alerts and /notify."""
    registry.register(CommandSpec(
        name="alert",
        aliases=(),
        summary="Set, delete, pause or resume a price, margin, equity or drawdown alert",
        usage=ALERT_USAGE,
        examples=(
            "/alert EURUSD above 1.0900",
            "/alert GBPUSD cross down 1.2500 ask every",
            "/alert XAUUSD > 2400 repeat 5m for 2h note \"gold breakout\"",
            "/alert margin < 150%",
            "/alert equity < 9500",
            "/alert drawdown 3%",
            "/alert del 12",
            "/alert pause 12",
            "/alert snooze 12 1h",
        ),
        arguments=(Argument("spec", ArgKind.TEXT, required=False, max=300,
                            help="SYMBOL above|below|cross [up|down] LEVEL [options], margin/equity/drawdown, "
                                 "del ID|all, pause|resume ID, snooze ID 1h"),
                   *ORDER_OPTIONS),
        permission=MANAGE,
        handler=alert_command,
        state_changing=True,
        category="alerts",
        details=("Setting an alert needs a key bound to the chat (read-only is enough); deleting does not. "
                 "Prices are bid unless you add ask or mid. above/below fire at once when already true; "
                 "cross fires only on a later move across the level. Options: once (default) | every | "
                 "repeat 5m, for 2h | until 2026-12-31, hysteresis 2 (pips), note TEXT. Account alerts: "
                 "margin < 150%, freemargin < 500, equity < 9500 | > 11000, drawdown 3% or an amount per "
                 "trading day (17:00 New York unless the chat's time zone is set; tz/anchor to change). "
                 "Limits: a level within 10× of the current price, for/until up to 2 years, repeat up to 7 days."),
    ))
    registry.register(CommandSpec(
        name="alerts",
        aliases=(),
        summary="List this chat's alerts (active and recently fired) with their ids",
        usage="/alerts",
        examples=("/alerts",),
        arguments=(),
        permission=VIEW,
        handler=alerts_command,
        category="alerts",
    ))
    registry.register(CommandSpec(
        name="notify",
        aliases=(),
        summary="Show or change which fill notifications this chat gets (on, silent or off)",
        usage=NOTIFY_USAGE,
        examples=("/notify", "/notify fills silent", "/notify sl_hit on", "/notify order_placed off"),
        arguments=(
            Argument("what", ArgKind.TEXT, required=False, max=32,
                     help="fills (every type) or one of " + ", ".join(EVENT_TYPES)),
            Argument("mode", ArgKind.CHOICE, required=False, choices=NOTIFY_MODES,
                     help="on, silent (no sound) or off"),
        ),
        permission=VIEW,
        handler=notify_command,
        state_changing=True,
        category="alerts",
        details="Anyone may look; changing needs the trader role in shared chats.",
    ))
