"""Parsing the time words of /alert: durations (5m, 2h, 1d), expiry dates and trading-day anchors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DURATION = re.compile(r"(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m(?:in)?)?", re.IGNORECASE)
_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
_UNIT_MINUTES = (7 * 24 * 60, 24 * 60, 60, 1)
_MAX_NUMBER_DIGITS = 12
MAX_EXPIRY = timedelta(days=366 * 2)
"""The longest an alert can run (`for` and `until` alike): two years."""


class AlertSpecError(ValueError):
    """An /alert argument list that cannot become a rule; the message says exactly what is wrong."""


def parse_duration(text: str, what: str, *, maximum: timedelta) -> timedelta:
    """"30m", "2h", "1h30m", "3d", "1w" (a bare number means minutes) -> a timedelta of 1 minute to `maximum`."""
    cleaned = text.strip().lower()
    bare = cleaned.isascii() and cleaned.isdigit()  # minutes ("²".isdigit() is true too, hence isascii)
    match = None if bare else _DURATION.fullmatch(cleaned)
    if bare:
        groups: tuple[str | None, ...] = (None, None, None, cleaned)
    elif cleaned and match is not None and any(match.groups()):
        groups = match.groups()
    else:
        raise AlertSpecError(f"{what}: {text!r} is not a duration; write it like 30m, 2h, 1h30m, 3d or 1w")
    too_long = f"{what}: {text if len(text) <= 24 else text[:21] + '…'!r} is too long; at most {describe_span(maximum)}"
    if any(g is not None and len(g.lstrip("0")) > _MAX_NUMBER_DIGITS for g in groups):
        raise AlertSpecError(too_long)  # checked before int(): a 5,000-digit number is no duration either
    minutes = sum(int(g) * unit for g, unit in zip(groups, _UNIT_MINUTES, strict=True) if g is not None)
    if minutes < 1:
        raise AlertSpecError(f"{what} must be at least 1 minute")
    if minutes > maximum.total_seconds() // 60:
        raise AlertSpecError(too_long)
    return timedelta(minutes=minutes)


def describe_span(span: timedelta) -> str:
    """A limit in words: "2 years (732 days)", "7 days", "90 minutes"."""
    if span.days >= 365:
        years = span.days // 365
        return f"{years} year{'s' if years != 1 else ''} ({span.days} days)"
    if span.days:
        return f"{span.days} day{'s' if span.days != 1 else ''}"
    return f"{int(span.total_seconds() // 60)} minutes"


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
    try:
        at = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted past the calendar's ends
        if day.year < 2000:
            raise AlertSpecError(f"until {day_text} is already in the past") from None
        raise AlertSpecError(f"an alert can run for at most {describe_span(MAX_EXPIRY)}") from None
    if at <= now:
        raise AlertSpecError(f"until {day_text}{' ' + clock_text if clock_text else ''} is already in the past")
    if at - now > MAX_EXPIRY:
        raise AlertSpecError(f"an alert can run for at most {describe_span(MAX_EXPIRY)}")
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
