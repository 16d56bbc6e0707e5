"""Conversion between aware UTC datetimes and the ISO strings stored in SQLite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fxbot.storage.errors import InvalidValue

Clock = Callable[[], datetime]
"""Returns the current time as an aware datetime; injected so tests control time."""


def utc_now() -> datetime:
    """The default clock: the current time in UTC."""
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """An aware datetime as a fixed-width UTC ISO string (sorts chronologically as text)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue("timestamps must be timezone-aware (UTC)")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    """A stored ISO string back to an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
