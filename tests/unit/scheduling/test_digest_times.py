"""Digest slots in several time zones and across DST changes, checked against APScheduler's cron trigger,
the period each slot reports (the FX trading day), and the catch-up decision after downtime."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from fxbot.scheduling.digest_times import (
    LATE_LIMIT,
    SlotRule,
    catch_up,
    next_slot,
    previous_slot,
    slot_day,
    slot_period,
    slots_between,
)
from fxbot.scheduling.digest_trigger import DigestTrigger

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


ZONES = ["America/New_York", "Europe/Berlin", "Europe/London", "Asia/Tokyo", "Australia/Sydney",
         "Asia/Kolkata", "Africa/Cairo", "America/Sao_Paulo", "Pacific/Auckland", "America/Santiago"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("hour", "minute"), [(17, 0), (2, 30), (23, 30), (0, 30), (0, 0)])
def test_the_trigger_fires_once_on_every_weekday_for_a_whole_year(zone: str, hour: int, minute: int) -> None:
    rule = SlotRule.for_kind("daily", hour, minute, ZoneInfo(zone))
    trigger = DigestTrigger(rule)
    fires: list[datetime] = []
    fire = trigger.get_next_fire_time(None, utc(2026, 1, 1))
    while fire < utc(2027, 1, 1):
        fires.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    days = [slot_day(f.astimezone(UTC), rule) for f in fires]
    assert len(days) == len(set(days))  # never twice on one local date (a repeated wall time)
    first, last = days[0], days[-1]
    weekdays = {first + timedelta(days=n) for n in range((last - first).days + 1)}
    assert set(days) == {d for d in weekdays if d.weekday() < 5}  # never a weekday skipped
    for f in fires:
        local = f.astimezone(rule.zone)
        assert local.weekday() < 5
        # on time, or (inside a DST gap) as many minutes later as the gap is long
        shift = (local.hour * 60 + local.minute) - (hour * 60 + minute)
        assert shift == 0 or (0 < shift <= 60), (zone, local)
    assert fires == sorted(fires)


def test_apschedulers_cron_trigger_gets_dst_weekends_wrong() -> None:
    """Why DigestTrigger exists: APScheduler 3.11's CronTrigger misses or repeats weekday slots."""
    ny = CronTrigger(day_of_week="mon-fri", hour=0, minute=30, timezone=NY)
    assert ny.get_next_fire_time(None, utc(2026, 3, 6, 12)).date() == date(2026, 3, 10)  # Monday skipped
    ours = DigestTrigger(SlotRule.for_kind("daily", 0, 30, NY))
    assert ours.get_next_fire_time(None, utc(2026, 3, 6, 12)) == datetime(2026, 3, 9, 0, 30, tzinfo=NY)
    cairo = ZoneInfo("Africa/Cairo")
    cron = CronTrigger(day_of_week="mon-fri", hour=23, minute=30, timezone=cairo)
    first = cron.get_next_fire_time(None, utc(2026, 10, 29))
    again = cron.get_next_fire_time(first, first + timedelta(minutes=1))
    assert again.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)  # the repeated 23:30 fires twice
    ours = DigestTrigger(SlotRule.for_kind("daily", 23, 30, cairo))
    mine = ours.get_next_fire_time(None, utc(2026, 10, 29))
    assert mine == first.astimezone(UTC)
    assert ours.get_next_fire_time(mine, mine + timedelta(minutes=1)).date() == date(2026, 10, 30)


def test_the_default_digest_reports_one_fx_trading_day_across_the_dst_change() -> None:
    rule = SlotRule.for_kind("daily", 17, 0, NY)
    # Before the US spring change (2026-03-08) 17:00 New York is 22:00 UTC, after it 21:00 UTC.
    friday = next_slot(rule, utc(2026, 3, 6, 12))
    monday = next_slot(rule, friday)
    assert (friday, monday) == (utc(2026, 3, 6, 22), utc(2026, 3, 9, 21))
    assert slot_period(rule, monday) == (friday, monday)
    assert monday - friday == timedelta(days=3) - timedelta(hours=1)  # the weekend lost an hour
    tuesday = next_slot(rule, monday)
    assert slot_period(rule, tuesday) == (monday, utc(2026, 3, 10, 21))
    assert tuesday - monday == timedelta(days=1)


def test_weekly_digest_is_the_friday_close_and_reports_the_week() -> None:
    rule = SlotRule.for_kind("weekly", 17, 0, NY)
    close = next_slot(rule, utc(2026, 4, 1, 9))  # a Wednesday
    assert close == utc(2026, 4, 3, 21) and close.astimezone(NY).weekday() == 4
    assert slot_period(rule, close) == (utc(2026, 3, 27, 21), close)


@pytest.mark.parametrize(("zone", "hour", "expected_utc", "local_day"), [
    ("Asia/Tokyo", 7, utc(2026, 4, 1, 22), date(2026, 4, 2)),  # Thursday 07:00 JST
    ("Europe/Berlin", 8, utc(2026, 4, 2, 6), date(2026, 4, 2)),  # CEST
    ("Australia/Sydney", 9, utc(2026, 4, 1, 22), date(2026, 4, 2)),  # AEDT until 2026-04-05
    ("America/Los_Angeles", 14, utc(2026, 4, 1, 21), date(2026, 4, 1)),  # 13:00 PDT now: Wednesday's
])
def test_trading_day_boundaries_in_several_zones(zone: str, hour: int, expected_utc: datetime,
                                                 local_day: date) -> None:
    rule = SlotRule.for_kind("daily", hour, 0, ZoneInfo(zone))
    slot = previous_slot(rule, utc(2026, 4, 2, 20))
    assert slot == expected_utc
    start, end = slot_period(rule, slot)
    assert end == slot and end - start == timedelta(days=1)  # mid-week: no weekend between
    assert slot_day(slot, rule) == local_day


def test_the_autumn_repeated_wall_time_is_one_slot_at_its_first_occurrence() -> None:
    cairo = SlotRule.for_kind("daily", 23, 30, ZoneInfo("Africa/Cairo"))  # DST ends Thu 2026-10-29 24:00
    first, second = utc(2026, 10, 29, 20, 30), utc(2026, 10, 29, 21, 30)
    assert next_slot(cairo, utc(2026, 10, 29)) == first
    assert previous_slot(cairo, second) == first  # a run at the second 23:30 maps to the slot already done
    assert slots_between(cairo, first - timedelta(minutes=1), second) == [first]
    # Europe/Berlin changes on Sundays: the weekday digest at 02:30 simply has no slot that day.
    berlin = SlotRule.for_kind("daily", 2, 30, BERLIN)
    assert next_slot(berlin, utc(2026, 10, 23, 12)) == utc(2026, 10, 26, 1, 30)


def test_the_spring_missing_wall_time_runs_when_the_gap_ends() -> None:
    cairo = SlotRule.for_kind("daily", 0, 30, ZoneInfo("Africa/Cairo"))  # Fri 2026-04-24 00:00 -> 01:00
    slot = next_slot(cairo, utc(2026, 4, 23, 12))
    assert slot == utc(2026, 4, 23, 22, 30)  # = 01:30 EEST: 00:30 read with the offset before the gap
    assert slot.astimezone(ZoneInfo("Africa/Cairo")).hour == 1
    assert DigestTrigger(cairo).get_next_fire_time(None, utc(2026, 4, 23, 12)) == slot


def test_catch_up_sends_the_latest_missed_slot_once_if_less_than_6_hours_late() -> None:
    rule = SlotRule.for_kind("daily", 17, 0, NY)
    close = utc(2026, 4, 2, 21)
    enabled = utc(2026, 3, 1)
    assert catch_up(rule, last_slot=close - timedelta(days=1), enabled_at=enabled,
                    now=close + timedelta(hours=2)).send_late == close
    assert catch_up(rule, last_slot=close, enabled_at=enabled, now=close + timedelta(hours=2)).send_late is None
    late = catch_up(rule, last_slot=close - timedelta(days=1), enabled_at=enabled,
                    now=close + LATE_LIMIT + timedelta(seconds=1))
    assert (late.send_late, late.skipped) == (None, (close,))
    three_days = catch_up(rule, last_slot=utc(2026, 3, 30, 21), enabled_at=enabled,
                          now=close + timedelta(hours=1))
    assert three_days.send_late == close and three_days.skipped == (utc(2026, 3, 31, 21), utc(2026, 4, 1, 21))


def test_catch_up_ignores_slots_before_the_digest_was_turned_on() -> None:
    rule = SlotRule.for_kind("daily", 17, 0, NY)
    decision = catch_up(rule, last_slot=None, enabled_at=utc(2026, 4, 2, 21, 5), now=utc(2026, 4, 2, 22))
    assert decision.send_late is None and decision.skipped == ()
    decision = catch_up(rule, last_slot=None, enabled_at=utc(2026, 4, 2, 20), now=utc(2026, 4, 2, 22))
    assert decision.send_late == utc(2026, 4, 2, 21)
