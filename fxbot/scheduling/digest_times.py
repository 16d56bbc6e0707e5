"""When digests are due: slots in a zone (DST rules), the period a slot reports, and what to do after downtime.

A *slot* is the scheduled moment of one digest, as an aware UTC datetime. Daily digests have a slot on
every weekday (Monday to Friday: FX trading days), weekly ones on Friday. The digest of a slot reports
the period from the previous slot up to it, so the default 17:00 America/New_York schedule reports
exactly one FX trading day (17:00 to 17:00 New York), and the weekly one the trading week.

Daylight-saving rules (decided here, matched by the APScheduler cron trigger in scheduler.py):
- a wall time that happens twice (02:30 Europe/Berlin on the autumn change) is due at its FIRST
  occurrence only (fold=0); the cron trigger fires again an hour later, and that run finds the slot
  already done and does nothing (and the outbox dedupe key is the slot, so it could not send twice);
- a wall time that does not exist (02:30 on the spring change) is due one hour later in wall time
  (03:30 CEST = 01:30 UTC), which is what both zoneinfo (fold=0) and APScheduler compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

DigestKind = Literal["daily", "weekly"]
DIGEST_KINDS: tuple[DigestKind, ...] = ("daily", "weekly")
TRADING_DAYS = (0, 1, 2, 3, 4)  # Monday..Friday
FRIDAY = 4
LATE_LIMIT = timedelta(hours=6)
MAX_MISSED_SCAN = 400  # slots looked at when the bot was down for a long time
DEFAULT_DIGEST_TIME = time(17, 0)
DEFAULT_DIGEST_ZONE = "America/New_York"


@dataclass(frozen=True, slots=True)
class SlotRule:
    """A wall-clock time in a zone on some weekdays."""

    hour: int
    minute: int
    zone: ZoneInfo
    weekdays: tuple[int, ...]

    @classmethod
    def for_kind(cls, kind: DigestKind, hour: int, minute: int, zone: ZoneInfo) -> SlotRule:
        return cls(hour, minute, zone, TRADING_DAYS if kind == "daily" else (FRIDAY,))

    def cron_day_of_week(self) -> str:
        """The APScheduler cron `day_of_week` field for these weekdays."""
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        return ",".join(names[d] for d in self.weekdays)


def slot_on(day: date, rule: SlotRule) -> datetime:
    """The slot on a local date (whether or not the weekday matches), as UTC; first occurrence on DST days."""
    local = datetime.combine(day, time(rule.hour, rule.minute), tzinfo=rule.zone)  # fold=0
    return local.astimezone(UTC)


def slot_day(slot: datetime, rule: SlotRule) -> date:
    """The local date a slot belongs to (its trading day's close)."""
    return slot.astimezone(rule.zone).date()


def previous_slot(rule: SlotRule, now: datetime) -> datetime:
    """The latest slot at or before `now`."""
    day = now.astimezone(rule.zone).date() + timedelta(days=1)
    for _ in range(15):
        if day.weekday() in rule.weekdays:
            slot = slot_on(day, rule)
            if slot <= now:
                return slot
        day -= timedelta(days=1)
    raise ValueError("a slot rule needs at least one weekday")


def next_slot(rule: SlotRule, now: datetime) -> datetime:
    """The first slot strictly after `now`."""
    day = now.astimezone(rule.zone).date() - timedelta(days=1)
    for _ in range(15):
        if day.weekday() in rule.weekdays:
            slot = slot_on(day, rule)
            if slot > now:
                return slot
        day += timedelta(days=1)
    raise ValueError("a slot rule needs at least one weekday")


def slot_period(rule: SlotRule, slot: datetime) -> tuple[datetime, datetime]:
    """[previous slot, slot): what the digest of `slot` reports."""
    return previous_slot(rule, slot - timedelta(microseconds=1)), slot


def slots_between(rule: SlotRule, after: datetime, until: datetime) -> list[datetime]:
    """Slots in (after, until], oldest first (at most MAX_MISSED_SCAN, the latest ones)."""
    found: list[datetime] = []
    current = until
    while len(found) < MAX_MISSED_SCAN:
        slot = previous_slot(rule, current)
        if slot <= after:
            break
        found.append(slot)
        current = slot - timedelta(microseconds=1)
    found.reverse()
    return found


@dataclass(frozen=True, slots=True)
class CatchUp:
    """After downtime: the one slot to send late (if any) and the slots skipped."""

    send_late: datetime | None
    skipped: tuple[datetime, ...]


def catch_up(rule: SlotRule, *, last_slot: datetime | None, enabled_at: datetime, now: datetime) -> CatchUp:
    """Digests due while the bot was down: the latest is sent late if less than LATE_LIMIT late; the rest
    (and it, when later than that) are skipped and noted in the next digest. Slots before the schedule
    was enabled never count."""
    after = max(last_slot, enabled_at) if last_slot is not None else enabled_at
    missed = slots_between(rule, after, now)
    if not missed:
        return CatchUp(None, ())
    latest = missed[-1]
    if now - latest < LATE_LIMIT:
        return CatchUp(latest, tuple(missed[:-1]))
    return CatchUp(None, tuple(missed))
