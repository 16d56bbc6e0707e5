"""DigestTrigger: an APScheduler trigger that fires at exactly the digest slots of digest_times (DST-correct).

APScheduler 3.11's own CronTrigger is not used because it gets weekday schedules wrong around DST
changes: `CronTrigger(day_of_week="mon-fri", hour=0, minute=30, timezone="America/New_York")` asked on
Friday 2026-03-06 skips Monday 2026-03-09 (the first weekday after the spring change), it skips a
weekday whose time falls into a DST gap (00:30 Africa/Cairo on Friday 2026-04-24) and it fires twice
for a wall time that repeats (23:30 Africa/Cairo on Thursday 2026-10-29). This trigger asks
`next_slot`, which has one rule for all three (see digest_times), and carries the zone explicitly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger  # type: ignore[import-untyped]

from fxbot.scheduling.digest_times import SlotRule, next_slot

_TICK = timedelta(microseconds=1)


class DigestTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at every slot of `rule` (aware UTC datetimes; the zone is the rule's)."""

    __slots__ = ("rule",)

    def __init__(self, rule: SlotRule) -> None:
        self.rule = rule

    @property
    def timezone(self) -> object:
        return self.rule.zone

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        """The first slot at or after `now`, or the first one after the previous fire time (in UTC: an
        aware time inside a repeated wall-clock hour never compares equal across zones, PEP 495)."""
        after = now - _TICK if previous_fire_time is None else previous_fire_time
        return next_slot(self.rule, after)

    def __str__(self) -> str:
        return (f"digest[day_of_week='{self.rule.cron_day_of_week()}', time='{self.rule.hour:02d}:"
                f"{self.rule.minute:02d}', timezone='{self.rule.zone.key}']")

    def __repr__(self) -> str:
        return f"<DigestTrigger {self}>"
