"""Broker server time of the SDK face: the UTC offset (fixed, or +2/+3 with New York DST) and its wire strings."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from fxbot.simulator.swap import NEW_YORK
from fxbot.simulator.wire_time import as_utc

# Most brokers keep their server clock at UTC+2, UTC+3 while New York is on summer time, so that the
# 17:00 New York rollover is always midnight on the server (and daily bars close with New York).
WINTER_OFFSET_H = 2
_DATE_ONLY = re.compile(r"^\d{4}-\d\d-\d\d$")


def format_server(local: datetime) -> str:
    """A naive server wall-clock time as a wire string, e.g. 2026-04-02T16:30:00.000Z."""
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}Z"


class BrokerTimeError(ValueError):
    """A query time that cannot be read."""


class BrokerClock:
    """Converts between real UTC and the broker's server time (naive wall-clock time of the server)."""

    def __init__(self, fixed_offset_h: int | None = None) -> None:
        self.fixed_offset_h = fixed_offset_h

    def __repr__(self) -> str:
        mode = "UTC+2/+3 with New York DST" if self.fixed_offset_h is None else f"UTC{self.fixed_offset_h:+d}"
        return f"BrokerClock({mode})"

    def offset_s(self, moment: datetime) -> int:
        """Server time minus UTC, in seconds, at a real moment."""
        if self.fixed_offset_h is not None:
            return self.fixed_offset_h * 3600
        summer = as_utc(moment).astimezone(NEW_YORK).dst() not in (None, timedelta(0))
        return (WINTER_OFFSET_H + (1 if summer else 0)) * 3600

    def to_server(self, moment: datetime) -> datetime:
        """The server's wall-clock time (naive) at a real moment."""
        utc = as_utc(moment)
        return (utc + timedelta(seconds=self.offset_s(utc))).replace(tzinfo=None)

    def to_utc(self, server_time: datetime) -> datetime:
        """The real (aware UTC) moment of a naive server wall-clock time."""
        guess = server_time.replace(tzinfo=UTC) - timedelta(seconds=self.offset_s(server_time.replace(tzinfo=UTC)))
        return server_time.replace(tzinfo=UTC) - timedelta(seconds=self.offset_s(guess))

    def render(self, moment: datetime) -> str:
        """A wire timestamp: server time with milliseconds and the cosmetic `Z` (it does NOT mean UTC)."""
        return format_server(self.to_server(moment))

    def parse(self, text: str) -> datetime:
        """A `from`/`to` query value as a real UTC moment.

        A date (`2026-02-01`) is the server's midnight; a time without an offset, or with the cosmetic `Z`,
        is server time (as every time this API sends); an explicit offset (`+00:00`) is honoured.
        """
        raw = text.strip()
        if _DATE_ONLY.match(raw):
            day = date.fromisoformat(raw)
            return self.to_utc(datetime(day.year, day.month, day.day))
        cosmetic_z = raw[-1:] in ("Z", "z")
        try:
            parsed = datetime.fromisoformat(raw[:-1] if cosmetic_z else raw)
        except ValueError:
            raise BrokerTimeError(
                f"{text!r} is not a time like 2026-04-02T14:30:00 (server time) or a date like 2026-04-02"
            ) from None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        return self.to_utc(parsed)
