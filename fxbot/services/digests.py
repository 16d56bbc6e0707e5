"""Digest use cases: turning digests on and off for a chat, and building a digest's content for a slot.

Constructor: `DigestService(*, storage: Storage, reports: ReportService, settings: SettingsService,
clock: Callable[[], datetime])`. The running DigestScheduler attaches itself as the listener, so a
schedule changed with /digest takes effect at once; without a scheduler only the table changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from fxbot.chat.types import ChatRef
from fxbot.domain.formatting import chat_zone, format_time
from fxbot.errors import UsageError
from fxbot.scheduling.digest_times import DEFAULT_DIGEST_TIME, DEFAULT_DIGEST_ZONE, DigestKind, next_slot, slot_period
from fxbot.scheduling.schedule_store import DigestSchedule, DigestScheduleStore
from fxbot.services.chart_types import RenderedChart
from fxbot.services.charts import equity_curve_png
from fxbot.services.chat_settings import SettingsService
from fxbot.services.periods import Period
from fxbot.services.report_text import report_text
from fxbot.services.reports import PnlReport, ReportService
from fxbot.storage import InvalidValue, Storage
from fxbot.storage.chat_settings import validate_timezone

DIGEST_USAGE = "/digest on [HH:MM] [Area/City] | /digest weekly on [HH:MM] [Area/City] | /digest off | /digest now"


class ScheduleListener(Protocol):
    """Told when a schedule is saved or removed (the running scheduler adds or drops its job)."""

    def schedule_saved(self, schedule: DigestSchedule) -> None: ...

    def schedule_removed(self, chat_id: str, kind: DigestKind) -> None: ...


@dataclass(frozen=True, slots=True)
class DigestContent:
    """A digest ready to send: plain-text title and lines, the equity-curve PNG, the equity it saw."""

    title: str
    lines: tuple[str, ...]
    image: RenderedChart | None
    image_name: str
    equity: float
    report: PnlReport


def digest_zone(name: str | None) -> ZoneInfo:
    """A validated zone; UsageError naming the problem otherwise."""
    try:
        return ZoneInfo(validate_timezone(name or DEFAULT_DIGEST_ZONE))
    except (InvalidValue, OSError, ValueError):
        raise UsageError(f"unknown time zone '{(name or '')[:40]}' — use an IANA name such as Europe/Berlin",
                         usage=DIGEST_USAGE, example="/digest on 17:00 America/New_York") from None


class DigestService:
    """The digest schedules of chats and the content of one digest."""

    def __init__(self, *, storage: Storage, reports: ReportService, settings: SettingsService,
                 clock: Callable[[], datetime]) -> None:
        self._storage = storage
        self._reports = reports
        self._settings = settings
        self._clock = clock
        self.store = DigestScheduleStore(storage.db)
        self._listener: ScheduleListener | None = None

    def __repr__(self) -> str:
        return f"DigestService(scheduler={'attached' if self._listener else 'none'})"

    def attach(self, listener: ScheduleListener | None) -> None:
        """The running scheduler (or None when it stops)."""
        self._listener = listener

    async def enable(self, chat: ChatRef, user_id: str, kind: DigestKind, at: time | None,
                     zone_name: str | None) -> DigestSchedule:
        """Turn a digest on (or move it). Without a zone, a given time is in the chat's zone (New York if
        unset); with neither, the FX close: 17:00 America/New_York."""
        if zone_name is None and at is not None:
            zone_name = (await self._settings.get(chat.id)).timezone or DEFAULT_DIGEST_ZONE
        zone = digest_zone(zone_name)
        when = at or DEFAULT_DIGEST_TIME
        schedule = await self.store.save(DigestSchedule(
            chat_id=chat.id, kind=kind, hour=when.hour, minute=when.minute, timezone=zone.key,
            chat_kind=chat.kind, thread_id=chat.thread_id, created_by=user_id, created_at=self._clock(),
        ))
        if self._listener is not None:
            self._listener.schedule_saved(schedule)
        return schedule

    async def disable(self, chat_id: str, kind: DigestKind | None = None) -> list[DigestKind]:
        """Turn off one digest, or both; the kinds that were on."""
        removed: list[DigestKind] = []
        for each in (("daily", "weekly") if kind is None else (kind,)):
            if await self.store.delete(chat_id, each):
                removed.append(each)
                if self._listener is not None:
                    self._listener.schedule_removed(chat_id, each)
        return removed

    async def schedules(self, chat_id: str) -> list[DigestSchedule]:
        return await self.store.for_chat(chat_id)

    def default_schedule(self, chat: ChatRef, kind: DigestKind = "daily") -> DigestSchedule:
        """An unsaved schedule at the FX close (for /digest now in a chat without a digest)."""
        return DigestSchedule(chat_id=chat.id, kind=kind, hour=DEFAULT_DIGEST_TIME.hour,
                              minute=DEFAULT_DIGEST_TIME.minute, timezone=DEFAULT_DIGEST_ZONE,
                              chat_kind=chat.kind, thread_id=chat.thread_id, created_by="",
                              created_at=self._clock())

    async def build(self, schedule: DigestSchedule, slot: datetime, *, late: bool = False,
                    so_far: bool = False) -> DigestContent:
        """The digest of `slot`: the period since the previous slot, figures, positions, the equity curve.

        With `so_far`, `slot` is a moment inside a trading day (/digest now): the day up to then."""
        rule = schedule.rule
        timezone = await self._settings.timezone(schedule.chat_id)  # times are shown in the chat's zone
        start, end = slot_period(rule, slot)
        local_end = format_time(end, timezone)
        period = Period(label=f"to {local_end}", start=start, end=end)
        if so_far:  # the day's trades may be stamped a moment after our clock: count to the next slot
            period = Period(label=f"to {local_end}", start=start, end=next_slot(rule, slot))
        equity_start = schedule.last_equity if schedule.last_slot == start else None
        report = await self._reports.build(schedule.chat_id, period,
                                           by_member=schedule.chat_kind.value == "group",
                                           equity_at_start=equity_start, ends_now=True)
        day = period.end.astimezone(rule.zone)  # a trading day is named by its close (so far: the coming one)
        name = "Daily digest" if schedule.kind == "daily" else "Weekly digest"
        title = f"{name} — {day:%a %Y-%m-%d}" + (" (late)" if late else "") + (" (so far)" if so_far else "")
        text = report_text(report, timezone, title=title)
        lines = list(text.lines)
        if text.symbol_rows:
            lines.append("by symbol:")
            lines.extend(text.symbol_lines())
        if late:
            lines.append(f"sent late: the bot was not running at {local_end}")
        if schedule.missed_note:
            lines.append(schedule.missed_note)
        image = None
        if len(report.curve) >= 2:
            image = await equity_curve_png(report.curve, title=f"{name}: balance and equity",
                                           currency=report.currency, zone=chat_zone(timezone))
        return DigestContent(title=title, lines=tuple(lines), image=image,
                             image_name=f"digest_{schedule.kind}_{day:%Y%m%d}.png",
                             equity=report.equity_now, report=report)
