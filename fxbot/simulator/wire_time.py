"""Wire time format of the simulator: timezone-aware UTC datetimes and ISO-8601 strings with `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_z(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and `Z`, e.g. 2026-04-02T14:30:00.123Z."""
    utc = as_utc(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_minute(moment: datetime) -> int:
    """Whole minutes since the Unix epoch (floor), the key of an M1 bar."""
    return int(as_utc(moment).timestamp() // 60)


def minute_to_datetime(minute: int) -> datetime:
    """The UTC datetime of an epoch minute."""
    return datetime.fromtimestamp(minute * 60, tz=UTC)
