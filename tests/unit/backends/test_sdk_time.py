"""Broker server time: terminal timestamps read as UTC and UTC bounds written as server time, at fixed offsets and
for a broker that follows New York's daylight saving time (UTC+2, UTC+3 in US summer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fxbot.backends.sdk_time import BrokerClock, offset_of, parse_server_time

WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # New York on standard time
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # New York on daylight saving time
# 2026: New York moves to summer time on 8 March at 07:00 UTC and back on 1 November at 06:00 UTC.
NY_SPRING_SWITCH = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-06-22T15:30:00Z", "2026-06-22T15:30:00.000Z", "2026-06-22T15:30:00",
                                  "2026.06.22 15:30:00", " 2026-06-22T15:30:00z "])
def test_terminal_timestamps_parse_as_naive_server_time(text: str) -> None:
    assert parse_server_time(text) == datetime(2026, 6, 22, 15, 30)


def test_a_non_time_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_server_time("yesterday")
    with pytest.raises(ValueError):
        parse_server_time("")


@pytest.mark.parametrize("hours", [2, 3, 0, -5])
def test_a_fixed_offset_converts_both_ways_in_every_season(hours: int) -> None:
    observed = SUMMER if hours == 2 else WINTER  # never the New York-close offset of its season
    clock = BrokerClock(hours * 3600, observed)
    assert not clock.follows_new_york
    for moment in (WINTER, SUMMER):
        server = clock.to_server(moment)
        assert server == (moment + timedelta(hours=hours)).replace(tzinfo=None)
        assert clock.to_utc(server) == moment
    assert clock.parse("2026-07-15T15:00:00.000Z") == datetime(2026, 7, 15, 15 - hours, tzinfo=UTC)


@pytest.mark.parametrize("observed, offset_h", [(WINTER, 2), (SUMMER, 3)])
def test_a_new_york_close_broker_converts_each_season_with_its_own_offset(observed: datetime, offset_h: int) -> None:
    clock = BrokerClock(offset_h * 3600, observed)
    assert clock.follows_new_york
    assert clock.to_server(WINTER) == datetime(2026, 1, 15, 14, 0)  # UTC+2 in winter
    assert clock.to_server(SUMMER) == datetime(2026, 7, 15, 15, 0)  # UTC+3 in summer
    assert clock.parse("2026-01-15T14:00:00Z") == WINTER
    assert clock.parse("2026-07-15T15:00:00Z") == SUMMER


def test_times_around_the_daylight_saving_switch_round_trip() -> None:
    clock = BrokerClock(3 * 3600, SUMMER)
    for minutes in range(-180, 181, 30):
        moment = NY_SPRING_SWITCH + timedelta(minutes=minutes)
        assert clock.to_utc(clock.to_server(moment)) == moment
    assert clock.offset_at(NY_SPRING_SWITCH - timedelta(minutes=1)) == 2 * 3600
    assert clock.offset_at(NY_SPRING_SWITCH) == 3 * 3600


def test_query_bounds_are_naive_server_time_and_none_stays_none() -> None:
    clock = BrokerClock(2 * 3600, WINTER)
    assert clock.query(WINTER) == "2026-01-15T14:00:00"
    assert clock.query(datetime(2026, 1, 15, 12, 0)) == "2026-01-15T14:00:00"  # naive means UTC
    assert clock.query(None) is None


def test_the_offset_read_from_a_server_clock_is_rounded_to_a_quarter_hour() -> None:
    assert offset_of(datetime(2026, 7, 15, 15, 0, 2), SUMMER) == 3 * 3600
    assert offset_of(datetime(2026, 7, 15, 17, 29, 50), SUMMER) == 5 * 3600 + 1800
    assert offset_of(datetime(2026, 7, 15, 11, 59, 59), SUMMER) == 0


def test_a_reading_in_the_other_season_replaces_the_guess_with_what_was_seen() -> None:
    guessed = BrokerClock(2 * 3600, WINTER)  # UTC+2 in winter: taken to follow New York
    assert guessed.follows_new_york and guessed.to_server(SUMMER) == datetime(2026, 7, 15, 15, 0)
    fixed = BrokerClock(2 * 3600, SUMMER).learned_from(guessed)  # still UTC+2 in summer: a fixed offset
    assert fixed.new_york is False and fixed.to_server(WINTER) == datetime(2026, 1, 15, 14, 0)
    assert fixed.to_server(SUMMER) == datetime(2026, 7, 15, 14, 0)
    moved = BrokerClock(3 * 3600, SUMMER).learned_from(guessed)
    assert moved.new_york is True and moved.to_server(WINTER) == datetime(2026, 1, 15, 14, 0)
    later = BrokerClock(2 * 3600, SUMMER + timedelta(days=1)).learned_from(fixed)  # the same season: kept
    assert later.new_york is False
    unknown = BrokerClock(3 * 3600, WINTER).learned_from(BrokerClock(3 * 3600, WINTER - timedelta(days=1)))
    assert unknown.new_york is None and not unknown.follows_new_york
