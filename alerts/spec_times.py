"""Parsing the time words of /alert: durations (5m, 2h, 1d), expiry dates and trading-day anchors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?", re.IGNORECASE)
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
MAX_EXPIRY = timedelta(days=366 * 2)


class AlertSpecError(ValueError):
    """An /alert argument list that cannot become a rule; the message says exactly what is wrong."""


def parse_duration(text: str, what: str) -> timedelta:
    """"30m", "2h", "1h30m", "3d", "1w" (a bare number means minutes) -> a positive timedelta."""
    cleaned = text.strip().lower()
    if cleaned.isdigit():
        minutes = int(cleaned)
        if minutes <= 0:
            raise AlertSpecError(f"{what} must be at least 1 minute")
        return timedelta(minutes=minutes)
    match = _DURATION.fullmatch(cleaned)
    if not cleaned or match is None or not any(match.groups()):
        raise AlertSpecError(f"{what}: {text!r} is not a duration; write it like 30m, 2h, 1h30m, 3d or 1w")
    weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    span = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    if span < timedelta(minutes=1):
        raise AlertSpecError(f"{what} must be at least 1 minute")
    return span


def parse_until(day_text: str, clock_text: str | None, zone: ZoneInfo, now: datetime) -> datetime:
    """"2026-12-31" (the end of that day) or "2026-12-31" "18:00" in `zone` -> an aware UTC datetime."""
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise AlertSpecError(f"until: {day_text!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-12-31)") from None
    if clock_text is None:
        moment = datetime.combine(day, time(23, 59, 59), tzinfo=zone)
    else:
        hour, minute = parse_clock(clock_text, "until")
        moment = datetime.combine(day, time(hour, minute), tzinfo=zone)
    at = moment.astimezone(UTC)
    if at <= now:
        raise AlertSpecError(f"until {day_text}{' ' + clock_text if clock_text else ''} is already in the past")
    if at - now > MAX_EXPIRY:
        raise AlertSpecError("an alert can run for at most two years")
    return at


def parse_clock(text: str, what: str) -> tuple[int, int]:
    """"17:00" -> (17, 0)."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise AlertSpecError(f"{what}: {text!r} is not a time of day; write it as HH:MM (e.g. 17:00)")
    return int(match.group(1)), int(match.group(2))


def is_clock(text: str) -> bool:
    return _CLOCK.fullmatch(text.strip()) is not None


def parse_zone(text: str) -> ZoneInfo:
    """An IANA zone ("Europe/London") or a clear error."""
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise AlertSpecError(f"unknown time zone {text!r}: use an IANA name such as Europe/London") from None
