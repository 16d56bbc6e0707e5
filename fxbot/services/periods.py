"""Report periods (today, yesterday, week, month, a date range) as UTC bounds in a chat's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fxbot.errors import UsageError

NAMED_PERIODS = ("today", "week", "month")
REPORT_PERIODS = ("today", "yesterday", "week", "month")
MAX_RANGE_DAYS = 366


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open interval [start, end) of aware UTC moments with a label for people."""

    label: str
    start: datetime
    end: datetime


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of `day` in `zone`, as UTC (fold=0 picks the earlier moment on DST changes)."""
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def named_period(name: str, now: datetime, zone: ZoneInfo) -> Period:
    """The local day, the day before, the week (Monday to Sunday) or calendar month of `now`, as whole days.

    The end is the next local midnight after the period rather than `now`, so a trade FxSocket stamped a
    moment after the bot's clock reading still counts.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    local_today = now.astimezone(zone).date()
    key = name.strip().lower()
    if key == "yesterday":
        return yesterday_period(now, zone)
    if key == "today":
        first, after, label = local_today, local_today + timedelta(days=1), "today"
    elif key == "week":
        first = local_today - timedelta(days=local_today.weekday())
        after, label = first + timedelta(days=7), "this week"
    elif key == "month":
        first = local_today.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        label = "this month"
    else:
        raise UsageError(f"unknown period {name!r}: use today, yesterday, week, month or two dates FROM TO")
    return Period(label=label, start=_local_midnight(first, zone), end=_local_midnight(after, zone))


def yesterday_period(now: datetime, zone: ZoneInfo) -> Period:
    """The whole local day before the one containing `now`."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    day = now.astimezone(zone).date() - timedelta(days=1)
    whole = date_range_period(day, day, zone)
    return Period(label=f"yesterday ({day.isoformat()})", start=whole.start, end=whole.end)


def date_range_period(first: date, last: date, zone: ZoneInfo) -> Period:
    """The whole local days from `first` to `last` inclusive."""
    if last < first:
        raise UsageError(f"the period ends ({last.isoformat()}) before it starts ({first.isoformat()})")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise UsageError(f"a period can span at most {MAX_RANGE_DAYS} days")
    label = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    return Period(
        label=label,
        start=_local_midnight(first, zone),
        end=_local_midnight(last + timedelta(days=1), zone),
    )


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD date, or None when `text` is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
