"""The /digest command: scheduled P&L digests on or off (daily at the FX close, weekly on Friday), or one now."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING

from fxbot.chat.access import check_access
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Image, Reply, ReplyKind
from fxbot.domain.access import Role, Scope
from fxbot.domain.formatting import format_time
from fxbot.domain.market_hours import FX_ZONE, WeekendClose, weekend_close
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.scheduling.digest_times import DigestKind, next_slot, previous_slot
from fxbot.scheduling.schedule_store import DigestSchedule
from fxbot.services.charts import curve_caption
from fxbot.services.digests import DIGEST_USAGE

if TYPE_CHECKING:
    from fxbot.services.container import Services

SHOW = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
CHANGE = Permission(scope=Scope.READ_ONLY, role=Role.ADMIN)
DIGEST_EXAMPLE = "/digest on 17:00 America/New_York"
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)", re.ASCII)


@dataclass(frozen=True, slots=True)
class DigestRequest:
    """What /digest was asked to do."""

    action: str  # "status" | "on" | "off" | "now"
    kind: DigestKind | None
    at: time | None = None
    zone: str | None = None


def _fail(message: str) -> UsageError:
    return UsageError(message, usage=DIGEST_USAGE, example=DIGEST_EXAMPLE)


def parse_digest_request(text: str) -> DigestRequest:
    """`on [HH:MM] [Area/City]`, `weekly on …`, `off`, `weekly off`, `now` (or nothing: the status)."""
    words = text.split()
    kind: DigestKind | None = None
    if words and words[0].lower() in ("daily", "weekly"):
        kind = "daily" if words.pop(0).lower() == "daily" else "weekly"
    if not words:
        if kind is not None:
            raise _fail(f"say what to do with the {kind} digest: /digest {kind} on or /digest {kind} off")
        return DigestRequest("status", None)
    action = words.pop(0).lower()
    if action in ("off", "now"):
        if words:
            raise _fail(f"'{action}' takes nothing after it")
        if action == "now" and kind is None:
            kind = "daily"
        return DigestRequest(action, kind)
    if action != "on":
        raise _fail(f"'{redact_secrets(action[:24])}' is not a digest action — use on, off or now")
    at: time | None = None
    zone: str | None = None
    for word in words:
        match = _TIME.fullmatch(word)
        if match is not None and at is None:
            at = time(int(match.group(1)), int(match.group(2)))
        elif ":" in word and any(ch.isdigit() for ch in word):
            raise _fail(f"'{redact_secrets(word[:24])}' is not a time — write HH:MM, 24-hour, e.g. 17:00")
        elif zone is None and match is None:
            zone = word
        else:
            raise _fail("give at most one time and one time zone")
    return DigestRequest("on", kind or "daily", at, zone)


def market_closed_line(weekend: WeekendClose, timezone: str) -> str:
    """Why a digest asked for over the weekend shows the last trading day (or an empty day so far)."""
    closed = weekend.closed_at.astimezone(FX_ZONE)
    return (f"The FX market is closed for the weekend (since {closed:%a %H:%M} New York); it reopens "
            f"{format_time(weekend.reopens_at, timezone)}.")


def status_reply(schedules: list[DigestSchedule], timezone: str, now_slot: dict[str, str]) -> Reply:
    if not schedules:
        return Reply(title="Digests", text=("no digest is scheduled in this chat",
                                            "turn one on: /digest on (17:00 New York, the FX close)"))
    lines = []
    for s in schedules:
        last = f", last sent {format_time(s.last_run_at, timezone)}" if s.last_run_at else ""
        lines.append(f"{s.kind}: {s.time_text} — next {now_slot[s.kind]}{last}")
    lines.append("turn off: /digest off (both) or /digest weekly off")
    return Reply(title="Digests", text=tuple(lines))


async def digest_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    request = parse_digest_request(args.optional("request", str) or "")
    service = cmd.services.digests
    timezone = await cmd.services.chat_settings.timezone(cmd.chat.id)
    if request.action in ("status", "now"):
        cmd.skip_audit()  # showing changes nothing
    if request.action == "status":
        schedules = await service.schedules(cmd.chat.id)
        nexts: dict[str, str] = {s.kind: format_time(next_slot(s.rule, cmd.now), timezone) for s in schedules}
        return status_reply(schedules, timezone, nexts)
    if request.action == "now":
        kind = request.kind or "daily"
        stored = await service.store.get(cmd.chat.id, kind)
        schedule = stored or service.default_schedule(cmd.chat, kind)
        weekend = weekend_close(cmd.now)
        slot, so_far = cmd.now, True
        if weekend is not None and previous_slot(schedule.rule, cmd.now) >= weekend.closed_at:
            slot, so_far = previous_slot(schedule.rule, cmd.now), False  # nothing traded since: the last one
        content = await service.build(schedule, slot, so_far=so_far)
        lines = content.lines if weekend is None else (*content.lines, market_closed_line(weekend, timezone))
        image = None if content.image is None else Image(content.image.png, content.image_name,
                                                         caption=curve_caption(content.title, content.report.curve))
        return Reply(title=content.title, text=lines, image=image)
    denial = check_access(CHANGE, cmd.ctx, "digest")
    if denial is not None:
        raise denial
    if request.action == "off":
        removed = await service.disable(cmd.chat.id, request.kind)
        if not removed:
            which = f"the {request.kind} digest is" if request.kind else "no digest is"
            return Reply(text=(f"{which} not on in this chat — nothing changed",))
        return Reply(kind=ReplyKind.OK, text=(f"{' and '.join(removed)} digest turned off",))
    assert request.kind is not None
    schedule = await service.enable(cmd.chat, cmd.user.id, request.kind, request.at, request.zone)
    first = format_time(next_slot(schedule.rule, cmd.now), schedule.timezone)
    return Reply(kind=ReplyKind.OK, text=(
        f"{schedule.kind} digest on: {schedule.time_text} — the first one {first}",
        "each digest covers the time since the previous one; /digest now shows it so far",
    ))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /digest."""
    registry.register(
        CommandSpec(
            name="digest",
            aliases=(),
            summary="Scheduled P&L digests: on at the FX close (or a time you pick), weekly, off, or now",
            usage=DIGEST_USAGE,
            examples=("/digest", "/digest on", DIGEST_EXAMPLE, "/digest on 08:00 Europe/Berlin",
                      "/digest weekly on", "/digest off", "/digest now"),
            arguments=(
                Argument("request", ArgKind.TEXT, required=False, max=100,
                         help="on [HH:MM] [Area/City], weekly on, off, weekly off, now (nothing: what is on)"),
            ),
            permission=SHOW,
            handler=digest_command,
            state_changing=True,
            category="reports",
            details=("Daily digests come on weekdays (FX trading days), weekly ones on Fridays, and cover the "
                     "time since the previous one — at the default 17:00 America/New_York that is one FX "
                     "trading day. A time without a zone is in the chat's zone (/settings timezone). A digest "
                     "missed while the bot was down is sent late if it is less than 6 hours late. Anyone may see "
                     "what is on or ask for one now; turning digests on or off needs a chat admin, because a "
                     "digest posts to everyone in the chat on a schedule: it is a setting of the chat, like "
                     "/settings (in a private chat you are its admin)."),
        )
    )
