"""Account rules: margin level dormant at zero margin, money re-arm bands, daily drawdown across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import KIND_DRAWDOWN, KIND_EQUITY, KIND_MARGIN
from fxbot.alerts.rules import AccountMetric, AccountRule, Mode
from fxbot.alerts.trading_day import trading_day_id, trading_day_start
from fxbot.notify.notification import Severity
from tests.unit.alerts.factories import ACC, CHAT, T0


def _rule(rule_id: int, metric: AccountMetric, threshold: float, *, percent: bool = False,
          mode: Mode = Mode.EVERY) -> AccountRule:
    return AccountRule(id=rule_id, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0,
                       metric=metric, threshold=threshold, percent=percent, mode=mode)


def _acc(equity: float = 10_000.0, margin: float = 0.0, balance: float = 10_000.0) -> AccountState:
    level = None if margin == 0 else equity / margin * 100
    return AccountState(balance=balance, equity=equity, margin=margin, free_margin=equity - margin,
                        margin_level=level, currency="USD")


def test_margin_rule_is_dormant_at_zero_margin_and_fires_once_when_defined_and_already_below() -> None:
    engine = AlertEngine()
    engine.add(_rule(1, AccountMetric.MARGIN_LEVEL, 150, percent=True))
    assert engine.on_account(ACC, _acc(margin=0), T0) == []
    assert engine.take_state_changes()[1].dormant
    fired = engine.on_account(ACC, _acc(equity=1000, margin=1000), T0 + timedelta(seconds=1))  # 100%
    assert len(fired) == 1
    f = fired[0]
    assert f.kind == KIND_MARGIN and f.severity is Severity.CRITICAL
    assert any("already past the threshold when the margin level became defined" in line for line in f.lines)
    assert not f.state.dormant
    assert engine.on_account(ACC, _acc(equity=900, margin=1000), T0 + timedelta(seconds=2)) == []


def test_margin_rule_fires_on_the_edge_and_rearms_past_its_band() -> None:
    engine = AlertEngine()
    engine.add(_rule(1, AccountMetric.MARGIN_LEVEL, 150, percent=True))
    at = T0
    levels = [300, 200, 149, 140, 160, 164.9, 149, 165, 149]
    fired = []
    for level in levels:
        at += timedelta(seconds=1)
        fired += [f.dedupe_key for f in engine.on_account(ACC, _acc(equity=level * 10, margin=1000), at)]
    # band = max(10, 15) = 15: re-arms at >= 165 only
    assert fired == ["alert:1:0", "alert:1:1"]


def test_money_rules_rearm_after_recovering_ten_percent_of_the_distance() -> None:
    engine = AlertEngine()
    engine.add(_rule(1, AccountMetric.EQUITY_BELOW, 9500))
    at = T0
    fired: list[str] = []
    for equity in [10_000, 9_499, 9_400, 9_540, 9_499, 9_550, 9_499]:  # band = 10% × 500 = 50
        at += timedelta(seconds=1)
        fired += [f.kind for f in engine.on_account(ACC, _acc(equity=equity), at)]
    assert fired == [KIND_EQUITY, KIND_EQUITY]


def test_equity_above_and_free_margin_and_once_mode() -> None:
    engine = AlertEngine()
    engine.add(_rule(1, AccountMetric.EQUITY_ABOVE, 11_000, mode=Mode.ONCE))
    engine.add(_rule(2, AccountMetric.FREE_MARGIN, 500))
    fired = engine.on_account(ACC, _acc(equity=11_001, margin=10_600), T0)
    assert sorted(f.rule_id for f in fired) == [1, 2]
    assert engine.get(1) is None  # once: done and dropped
    assert engine.on_account(ACC, _acc(equity=10_000), T0) == []
    assert engine.on_account(ACC, _acc(equity=12_000), T0) == []


def test_already_past_when_set_fires_once_saying_so() -> None:
    engine = AlertEngine()
    engine.on_account(ACC, _acc(equity=9_000), T0)
    fired = engine.add(_rule(1, AccountMetric.EQUITY_BELOW, 9_500))
    assert len(fired) == 1 and any("already past" in line for line in fired[0].lines)


def test_trading_day_boundary_is_17_new_york_across_dst() -> None:
    # winter (EST, UTC-5): the day starts 22:00 UTC; summer (EDT, UTC-4): 21:00 UTC
    winter = datetime(2026, 1, 15, 21, 30, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 21, 30, tzinfo=UTC)
    assert trading_day_id(winter, "America/New_York", 17) == "2026-01-14"
    assert trading_day_id(summer, "America/New_York", 17) == "2026-07-15"
    # the Sunday DST switch (2026-03-08): 16:59 EDT is still the previous day, 17:00 EDT starts the new one
    assert trading_day_id(datetime(2026, 3, 8, 20, 59, tzinfo=UTC), "America/New_York", 17) == "2026-03-07"
    assert trading_day_id(datetime(2026, 3, 8, 21, 0, tzinfo=UTC), "America/New_York", 17) == "2026-03-08"
    assert trading_day_start(summer, "America/New_York", 17).astimezone(UTC).hour == 21
    assert trading_day_start(winter, "America/New_York", 17).astimezone(UTC).hour == 22


def test_drawdown_fires_once_per_trading_day_from_the_days_starting_balance() -> None:
    engine = AlertEngine()
    rule = AccountRule(id=1, chat_id=CHAT, owner_id="u", account_id=ACC, created_at=T0,
                       metric=AccountMetric.DRAWDOWN, threshold=3, percent=True, mode=Mode.ONCE)
    engine.add(rule)
    day1 = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # Monday, EDT: the day began 2026-03-08 21:00 UTC
    assert engine.on_account(ACC, _acc(equity=9_800, balance=10_000), day1) == []
    fired = engine.on_account(ACC, _acc(equity=9_690, balance=10_000), day1 + timedelta(minutes=5))
    assert [f.kind for f in fired] == [KIND_DRAWDOWN] and fired[0].severity is Severity.CRITICAL
    assert engine.on_account(ACC, _acc(equity=9_000, balance=10_000), day1 + timedelta(hours=6)) == []
    # 21:00 UTC is 17:00 EDT: a new trading day starting from the balance then (9,500)
    next_day = datetime(2026, 3, 9, 21, 0, tzinfo=UTC)
    assert engine.on_account(ACC, _acc(equity=9_400, balance=9_500), next_day) == []
    fired = engine.on_account(ACC, _acc(equity=9_200, balance=9_500), next_day + timedelta(hours=1))
    assert [f.dedupe_key for f in fired] == ["alert:1:1"]


def test_drawdown_amount_and_day_boundary_before_dst_uses_22_utc() -> None:
    engine = AlertEngine()
    engine.add(AccountRule(id=1, chat_id=CHAT, owner_id="u", account_id=ACC, created_at=T0,
                           metric=AccountMetric.DRAWDOWN, threshold=300))
    friday = datetime(2026, 3, 6, 21, 30, tzinfo=UTC)  # EST: still Thursday's trading day (starts 22:00 UTC)
    engine.on_account(ACC, _acc(equity=10_000, balance=10_000), friday)
    assert len(engine.on_account(ACC, _acc(equity=9_700, balance=10_000), friday + timedelta(minutes=10))) == 1
    after = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
    assert engine.on_account(ACC, _acc(equity=9_700, balance=9_700), after) == []
    assert len(engine.on_account(ACC, _acc(equity=9_400, balance=9_700), after + timedelta(minutes=1))) == 1
