"""Broker server time of a MetaTrader account: reading its timestamps as UTC and writing UTC bounds in it.

Every terminal timestamp is the broker's wall-clock time (the trailing `Z` is cosmetic). The terminal
tells its current offset (`/ServerTimezone` `utcOffsetSeconds` = server time − UTC). Most brokers run
at UTC+2, UTC+3 while New York is on summer time (so the 17:00 New York rollover is midnight on the
server); an account whose offset now is exactly that is taken to follow New York's daylight saving
time, so a timestamp from the other season converts with that season's offset. Any other offset is
taken as fixed. Once the offset has been read in both seasons the guess gives way to what was seen
(`learned_from`): the same offset in both is fixed (a UTC+2 broker seen first in winter), a change
follows New York. The current offset is re-read whenever the caller's cache expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
NY_WINTER_OFFSET_S = 2 * 3600  # the common "New York close" broker offset outside US summer time
_QUARTER_HOUR_S = 900


def new_york_summer(moment: datetime) -> bool:
    """True when New York is on daylight saving time at this real moment."""
    dst = as_utc(moment).astimezone(NEW_YORK).dst()
    return dst is not None and dst != timedelta(0)


def as_utc(moment: datetime) -> datetime:
    """Naive times are taken as UTC; aware ones are converted."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_server_time(text: str) -> datetime:
    """A terminal timestamp (`2026-06-22T15:30:00Z`, `…:00.000Z`, MT4's `2026.06.22 15:30:00`) as a naive
    server wall-clock time; ValueError for text that is not a time. An offset written after it is dropped
    (the wall-clock reading is what the terminal means)."""
    raw = text.strip()
    if raw[-1:] in ("Z", "z"):
        raw = raw[:-1]
    if raw[4:5] == "." and raw[7:8] == ".":
        raw = f"{raw[:4]}-{raw[5:7]}-{raw[8:]}"
    return datetime.fromisoformat(raw).replace(tzinfo=None)


def offset_of(server_time: datetime, utc_now: datetime) -> int:
    """The broker's offset (seconds, to the nearest quarter hour) from its wall clock read at `utc_now`."""
    seconds = (server_time.replace(tzinfo=UTC) - as_utc(utc_now)).total_seconds()
    return round(seconds / _QUARTER_HOUR_S) * _QUARTER_HOUR_S


@dataclass(frozen=True, slots=True)
class BrokerClock:
    """One account's server clock: `offset_s` observed at `observed_at` (a real UTC moment).

    `new_york` says whether the broker follows New York's daylight saving time: None while only guessed
    from one season's offset, True/False once seen in both seasons."""

    offset_s: int
    observed_at: datetime
    new_york: bool | None = None

    @property
    def follows_new_york(self) -> bool:
        """Known, or else guessed: the offset now is the New York-close one of this season (UTC+2; UTC+3 in US
        summer)."""
        if self.new_york is not None:
            return self.new_york
        return self.offset_s == NY_WINTER_OFFSET_S + (3600 if new_york_summer(self.observed_at) else 0)

    def learned_from(self, earlier: BrokerClock) -> BrokerClock:
        """This reading, with what an earlier one teaches: seen in the other season, whether the offset moved."""
        if new_york_summer(earlier.observed_at) != new_york_summer(self.observed_at):
            moved = self.offset_s - earlier.offset_s == (3600 if new_york_summer(self.observed_at) else -3600)
            return BrokerClock(self.offset_s, self.observed_at, moved)
        if earlier.new_york is not None and self.offset_s == earlier.offset_s:
            return BrokerClock(self.offset_s, self.observed_at, earlier.new_york)
        return self

    def offset_at(self, moment: datetime) -> int:
        """Server time minus UTC, in seconds, at a real moment."""
        if not self.follows_new_york:
            return self.offset_s
        return NY_WINTER_OFFSET_S + (3600 if new_york_summer(moment) else 0)

    def to_utc(self, server_time: datetime) -> datetime:
        """The aware UTC moment of a naive server wall-clock time."""
        naive = server_time.replace(tzinfo=UTC)
        guess = naive - timedelta(seconds=self.offset_at(naive - timedelta(seconds=self.offset_s)))
        return naive - timedelta(seconds=self.offset_at(guess))

    def parse(self, text: str) -> datetime:
        """A terminal timestamp as an aware UTC datetime; ValueError when it is not a time."""
        return self.to_utc(parse_server_time(text))

    def to_server(self, moment: datetime) -> datetime:
        """The naive server wall-clock time at a real moment."""
        utc = as_utc(moment)
        return (utc + timedelta(seconds=self.offset_at(utc))).replace(tzinfo=None)

    def query(self, moment: datetime | None) -> str | None:
        """A `from`/`to` bound as the terminal reads it: naive server time, ISO (None stays None)."""
        return None if moment is None else self.to_server(moment).isoformat(timespec="seconds")
