"""The FX market's weekly hours: open from Sunday 17:00 to Friday 17:00 New York time, closed over the weekend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

FX_ZONE = ZoneInfo("America/New_York")
FX_CLOSE = time(17, 0)  # the daily close and the weekly close (Friday) and reopening (Sunday)
FRIDAY, SATURDAY, SUNDAY = 4, 5, 6


@dataclass(frozen=True, slots=True)
class WeekendClose:
    """The weekend the market is closed for (aware UTC times)."""

    closed_at: datetime  # Friday 17:00 New York
    reopens_at: datetime  # Sunday 17:00 New York


def weekend_close(now: datetime) -> WeekendClose | None:
    """The weekend close `now` falls in, or None while the market is open."""
    local = now.astimezone(FX_ZONE)
    day, at = local.weekday(), local.time()
    closed = (day == FRIDAY and at >= FX_CLOSE) or day == SATURDAY or (day == SUNDAY and at < FX_CLOSE)
    if not closed:
        return None
    friday = local.date() - timedelta(days=day - FRIDAY)
    sunday = friday + timedelta(days=SUNDAY - FRIDAY)
    return WeekendClose(
        closed_at=datetime.combine(friday, FX_CLOSE, FX_ZONE).astimezone(UTC),
        reopens_at=datetime.combine(sunday, FX_CLOSE, FX_ZONE).astimezone(UTC),
    )
