"""Guard limits: parsing `/guard` arguments (bad input changes nothing), the evaluator and the rollover."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from fxbot.errors import UsageError
from fxbot.guard.evaluator import evaluate
from fxbot.guard.rules import Amount, GuardLimits, apply_setting
from fxbot.guard.state import GuardState, Phase, day_of, fresh, next_rollover, rolled

NOON = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


def test_settings_parse_and_round_trip_through_json() -> None:
    limits = apply_setting(GuardLimits(), ["daily-loss", "3%", "warn=70%"])
    limits = apply_setting(limits, ["daily-profit", "500"])
    limits = apply_setting(limits, ["max-lots", "2"])
    limits = apply_setting(limits, ["max-positions", "5"])
    limits = apply_setting(limits, ["max-risk", "2%"])
    limits = apply_setting(limits, ["max-spread", "3p"])
    assert limits.daily_loss == Amount(3.0, True) and limits.warn_percent == 70.0
    assert limits.daily_profit == Amount(500.0, False)
    assert (limits.max_lots, limits.max_positions) == (2.0, 5)
    assert (limits.max_risk_percent, limits.max_spread_pips) == (2.0, 3.0)
    assert GuardLimits.from_json(limits.to_json()) == limits


@pytest.mark.parametrize(("words", "message"), [
    (["daily-loss", "lots"], "not a number"),
    (["daily-loss", "150%"], "under 100%"),
    (["daily-loss", "3%", "warn=120%"], "at most 99%"),
    (["daily-loss", "3%", "when=1"], "only warn=N%"),
    (["max-positions", "2.5"], "whole number"),
    (["max-risk", "2"], "percentage"),
    (["max-spread", "3"], "in pips"),
    (["max-lots", "0"], "above zero"),
    (["max-lots"], "needs a value"),
    (["leverage", "5"], "not a guard limit"),
])
def test_bad_settings_say_what_was_wrong(words: list[str], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        apply_setting(GuardLimits(), words)
    assert message in raised.value.message and raised.value.usage


def test_rollover_is_17_new_york_across_daylight_saving() -> None:
    summer = datetime(2026, 4, 2, 20, 59, tzinfo=UTC)  # 16:59 EDT
    assert day_of(summer) == "2026-04-01" and day_of(datetime(2026, 4, 2, 21, 0, tzinfo=UTC)) == "2026-04-02"
    assert next_rollover(summer) == datetime(2026, 4, 2, 21, 0, tzinfo=UTC)
    winter = datetime(2026, 1, 15, 21, 30, tzinfo=UTC)  # 16:30 EST
    assert next_rollover(winter) == datetime(2026, 1, 15, 22, 0, tzinfo=UTC)


def test_warns_once_then_acts_at_the_limit_and_the_block_rearms_at_rollover() -> None:
    limits = GuardLimits(daily_loss=Amount(1.0, True))
    state = fresh("acc", NOON)
    first = evaluate(limits, state, 10_000.0, NOON, "USD")
    assert first.action == "none" and first.state.day_start_equity == 10_000.0
    warned = evaluate(limits, first.state, 9_910.0, NOON, "USD")
    assert warned.action == "warn" and warned.state.phase is Phase.WARNED
    assert evaluate(limits, warned.state, 9_905.0, NOON, "USD").action == "none"
    acted = evaluate(limits, warned.state, 9_899.0, NOON, "USD")
    assert acted.action == "act" and acted.state.phase is Phase.ACTING and acted.limit == pytest.approx(100.0)
    assert "daily loss 101.00 USD reached the limit 1%" in acted.reason
    blocked = replace(acted.state, phase=Phase.BLOCKED, blocked_until=next_rollover(NOON))
    assert evaluate(limits, blocked, 9_000.0, NOON, "USD").action == "none"
    assert blocked.blocking(NOON)
    after = datetime(2026, 4, 2, 21, 0, 1, tzinfo=UTC)
    again = rolled(blocked, after)
    assert again.phase is Phase.ARMED and again.day_start_equity is None and not again.blocking(after)


def test_acting_is_never_rearmed_by_a_rollover_and_the_profit_lock_acts_too() -> None:
    acting = GuardState(account_id="acc", day_id="2026-04-01", phase=Phase.ACTING, changed_at=NOON)
    assert rolled(acting, datetime(2026, 4, 3, tzinfo=UTC)) is acting
    limits = GuardLimits(daily_profit=Amount(200.0, False))
    start = evaluate(limits, fresh("acc", NOON), 5_000.0, NOON).state
    assert evaluate(limits, start, 5_199.0, NOON).action == "none"
    assert evaluate(limits, start, 5_200.0, NOON).action == "act"
