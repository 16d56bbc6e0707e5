"""Trading days for daily drawdown: the day starts at an anchor time in an anchor zone (DST-correct)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def trading_day_id(at: datetime, zone: str, hour: int, minute: int = 0) -> str:
    """The ISO date of the calendar day on which the trading day containing `at` started.

    The boundary is the wall-clock anchor in `zone` (17:00 America/New_York is 21:00 UTC in
    summer and 22:00 UTC in winter): `at` is converted to local time, moved back by the anchor
    on the wall clock, and its date is the trading day's id.
    """
    local = at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return (local - timedelta(hours=hour, minutes=minute)).date().isoformat()


def trading_day_start(at: datetime, zone: str, hour: int, minute: int = 0) -> datetime:
    """The aware moment the trading day containing `at` started."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz).replace(tzinfo=None)
    day = (local - timedelta(hours=hour, minutes=minute)).date()
    return datetime.combine(day, time(hour, minute), tzinfo=tz)
