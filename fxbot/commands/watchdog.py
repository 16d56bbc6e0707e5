"""The /watchdog command: what the watchdog watches and what is wrong now; the optional Friday reminder."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fxbot.chat.access import check_access
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.access import Role, Scope
from fxbot.domain.formatting import format_time
from fxbot.errors import UsageError, UserError
from fxbot.services.chat_reads import chat_binding

if TYPE_CHECKING:
    from fxbot.services.container import Services

SHOW = Permission(scope=None, role=Role.VIEWER, needs_binding=False)
CHANGE = Permission(scope=Scope.READ_ONLY, role=Role.ADMIN)
WATCHDOG_USAGE = "/watchdog [weekend 30m|2h|off]"
_MINUTES = re.compile(r"(\d{1,4})(m|h)", re.ASCII)
MAX_WEEKEND_MINUTES = 24 * 60


def parse_weekend(word: str) -> int | None:
    """Minutes before the weekly close ("30m", "2h"), or None for "off"; UsageError otherwise."""
    if word.lower() == "off":
        return None
    match = _MINUTES.fullmatch(word.lower())
    if match is None:
        raise UsageError(f"'{word[:24]}' is not a duration — write minutes or hours like 30m or 2h, or off",
                         usage=WATCHDOG_USAGE, example="/watchdog weekend 30m")
    minutes = int(match.group(1)) * (60 if match.group(2) == "h" else 1)
    if not 1 <= minutes <= MAX_WEEKEND_MINUTES:
        raise UsageError("the reminder can be 1 minute to 24 hours before the close", usage=WATCHDOG_USAGE,
                         example="/watchdog weekend 30m")
    return minutes


async def watchdog_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    watchdog = cmd.services.watchdog
    if watchdog is None:
        raise UserError("the watchdog is not available in this bot")
    words = (args.optional("request", str) or "").split()
    db = cmd.services.storage.db
    if words:
        if words[0].lower() != "weekend" or len(words) != 2:
            raise UsageError("say weekend and a duration, or weekend off", usage=WATCHDOG_USAGE,
                             example="/watchdog weekend 30m")
        denial = check_access(CHANGE, cmd.ctx, "watchdog")
        if denial is not None:
            raise denial
        minutes = parse_weekend(words[1])
        await db.execute("INSERT INTO watchdog_settings (chat_id, weekend_minutes) VALUES (?, ?) ON CONFLICT (chat_id)"
                         " DO UPDATE SET weekend_minutes = excluded.weekend_minutes", (cmd.chat.id, minutes))
        if minutes is None:
            return Reply(kind=ReplyKind.OK, text=("the Friday reminder is off",))
        return Reply(kind=ReplyKind.OK, text=(f"every Friday, {duration_text_minutes(minutes)} before the FX market's "
                                              "weekly close (17:00 New York), this chat gets its open positions",))
    cmd.skip_audit()
    s = watchdog.settings
    timezone = await cmd.services.chat_settings.timezone(cmd.chat.id)
    mode = await cmd.services.alerts.preferences.mode(cmd.chat.id, "watchdog")
    binding = await chat_binding(cmd.services.storage, cmd.chat.id)
    lines = [f"notifications here: {mode} (/notify watchdog on|silent|off)" if s.enabled else
             "the watchdog is turned off in the bot's configuration (watchdog.enabled)",
             f"watches: the stream (down over {s.stream_down_after_s:g} s, or silent over "
             f"{s.stream_silent_after_s:g} s while the market is open), FxSocket REST (failing over "
             f"{s.rest_failing_after_s:g} s), the account terminal, the key, and restarts of the bot"]
    mine = [i for i in watchdog.book.open.values() if i.notified and binding is not None
            and (i.ref.split(":")[1] == str(binding.key_id))]
    if mine:
        lines.append("NOW:")
        lines += [f"  {i.what} — since {format_time(i.first_seen, timezone)}" for i in mine]
    else:
        lines.append("nothing is wrong now" if binding is not None else "this chat is not bound to a key (/bind)")
    minutes = await db.fetch_value("SELECT weekend_minutes FROM watchdog_settings WHERE chat_id = ?", (cmd.chat.id,))
    lines.append(f"Friday reminder: {duration_text_minutes(int(minutes))} before the weekly close" if minutes
                 else "Friday reminder: off (/watchdog weekend 30m)")
    if s.heartbeat_url:
        last = watchdog.last_ping_at
        state = f"last ping {format_time(last, timezone)}" if last else "no ping yet"
        if watchdog.last_ping_error:
            state += f"; the last one failed ({watchdog.last_ping_error})"
        lines.append(f"dead-man heartbeat: {state}")
    return Reply(title="Watchdog", text=tuple(lines))


def duration_text_minutes(minutes: int) -> str:
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"


def register(registry: CommandRegistry[Services]) -> None:
    """Add /watchdog."""
    registry.register(
        CommandSpec(
            name="watchdog",
            aliases=(),
            summary="What the watchdog watches (stream, FxSocket, terminal, key, restarts) and what is wrong now",
            usage=WATCHDOG_USAGE,
            examples=("/watchdog", "/watchdog weekend 30m", "/watchdog weekend off"),
            arguments=(
                Argument("request", ArgKind.TEXT, required=False, max=40,
                         help="weekend 30m|2h|off: a Friday reminder of the open positions before the weekly close"),
            ),
            permission=SHOW,
            handler=watchdog_command,
            state_changing=True,
            category="settings",
            details=("Every chat bound to a key is told once when something breaks and once when it recovers, "
                     "with how long it lasted: the FxSocket stream down or silent during market hours (never over "
                     "the weekend), FxSocket REST failing, the account's terminal disconnected from its broker, "
                     "the key refused or its scope lowered, and the bot restarted (how long it was down, and "
                     "whether it reconciled). /notify watchdog off silences it in a chat. The Friday reminder "
                     "needs a chat admin."),
        )
    )
