"""The guard's persisted state machine per account: armed → warned → acting → blocked → re-armed at rollover."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from fxbot.alerts.trading_day import trading_day_id, trading_day_start

ROLLOVER_ZONE = "America/New_York"
ROLLOVER_HOUR = 17


class Phase(StrEnum):
    """Where an account's guard stands in its trading day."""

    ARMED = "armed"
    WARNED = "warned"
    ACTING = "acting"  # closing everything: resumed (never restarted blindly) after a restart
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class GuardState:
    """One account's guard for one trading day (`day_id`: the ISO date the day started on)."""

    account_id: str
    day_id: str
    phase: Phase
    changed_at: datetime
    day_start_equity: float | None = None
    blocked_until: datetime | None = None
    trigger: str | None = None

    def blocking(self, at: datetime) -> bool:
        """Whether new orders are refused at `at` (acting counts: the close-all is under way)."""
        if self.phase is Phase.ACTING:
            return True
        return self.phase is Phase.BLOCKED and (self.blocked_until is None or at < self.blocked_until)


def day_of(at: datetime) -> str:
    """The trading day (17:00 New York) containing `at`."""
    return trading_day_id(at, ROLLOVER_ZONE, ROLLOVER_HOUR)


def next_rollover(at: datetime) -> datetime:
    """The moment the trading day after the one containing `at` starts (17:00 New York, DST-correct)."""
    start = trading_day_start(at, ROLLOVER_ZONE, ROLLOVER_HOUR)
    following: date = start.date() + timedelta(days=1)
    return datetime.combine(following, time(ROLLOVER_HOUR), tzinfo=ZoneInfo(ROLLOVER_ZONE))


def fresh(account_id: str, at: datetime) -> GuardState:
    return GuardState(account_id=account_id, day_id=day_of(at), phase=Phase.ARMED, changed_at=at)


def rolled(state: GuardState, at: datetime) -> GuardState:
    """The state at `at`: a new trading day (or a block that ran out) re-arms, with the day's start to be read.

    An account still acting is not re-armed: the close-all in progress is finished first."""
    if state.phase is Phase.ACTING:
        return state
    day = day_of(at)
    expired = state.phase is Phase.BLOCKED and state.blocked_until is not None and at >= state.blocked_until
    if state.day_id == day and not expired:
        return state
    return replace(state, day_id=day, phase=Phase.ARMED, day_start_equity=None, blocked_until=None, trigger=None,
                   changed_at=at)
