"""The FX weekend: closed from Friday 17:00 to Sunday 17:00 New York, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fxbot.domain.market_hours import FX_ZONE, weekend_close


def ny(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=FX_ZONE)


@pytest.mark.parametrize(
    ("moment", "closed"),
    [
        (ny(2026, 4, 3, 16, 59), False),  # Friday before the close
        (ny(2026, 4, 3, 17, 0), True),
        (ny(2026, 4, 4, 12, 0), True),  # Saturday
        (ny(2026, 4, 5, 16, 59), True),  # Sunday before the reopening
        (ny(2026, 4, 5, 17, 0), False),
        (ny(2026, 4, 6, 3, 0), False),  # Monday
    ],
)
def test_closed_exactly_from_friday_to_sunday_at_17_new_york(moment: datetime, closed: bool) -> None:
    assert (weekend_close(moment) is not None) is closed


def test_the_weekend_close_and_reopening_in_utc_follow_new_york_time() -> None:
    summer = weekend_close(datetime(2026, 4, 4, 12, 0, tzinfo=UTC))
    assert summer is not None
    assert summer.closed_at == datetime(2026, 4, 3, 21, 0, tzinfo=UTC)  # EDT: UTC-4
    assert summer.reopens_at == datetime(2026, 4, 5, 21, 0, tzinfo=UTC)
    winter = weekend_close(datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    assert winter is not None
    assert winter.closed_at == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # EST: UTC-5
    assert winter.reopens_at == datetime(2026, 12, 6, 22, 0, tzinfo=UTC)
