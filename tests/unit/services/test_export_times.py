"""The CSV export writes each time as strftime("%Y-%m-%d %H:%M:%S") in the chat's zone would."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.services.exports import _time

ZONES = [ZoneInfo(name) for name in ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham",
                                     "Australia/Lord_Howe")]


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
       st.sampled_from(ZONES))
def test_an_export_time_is_the_strftime_of_the_local_time(moment: datetime, zone: ZoneInfo) -> None:
    assert _time(moment, zone) == moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def test_no_time_is_an_empty_cell() -> None:
    assert _time(None, ZONES[0]) == ""
