"""Price rule semantics: states vs edges, touching, gaps, hysteresis, repeat, expiry, runaway, points."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import GAP_LINE, KIND_EXPIRED, KIND_PRICE, KIND_RUNAWAY
from fxbot.alerts.rules import Mode, PriceCondition, PriceSide
from tests.unit.alerts.factories import ACC, CHAT, T0, Feed, price_rule

ABOVE, BELOW, CROSS = PriceCondition.ABOVE, PriceCondition.BELOW, PriceCondition.CROSS
UP, DOWN = PriceCondition.CROSS_UP, PriceCondition.CROSS_DOWN


def _engine(*rules: object) -> tuple[AlertEngine, Feed]:
    engine = AlertEngine()
    for rule in rules:
        engine.add(rule)  # type: ignore[arg-type]
    return engine, Feed(engine)


def test_above_is_a_state_that_fires_at_once_when_already_true() -> None:
    engine, feed = _engine()
    feed.tick(1.0950)
    fired = engine.add(price_rule(1, ABOVE, 1.0900, created_price=1.0950))
    assert [f.rule_id for f in fired] == [1]
    assert fired[0].kind == KIND_PRICE and fired[0].chat_id == CHAT
    assert feed.ids(1.0960, 1.0800, 1.0950) == []  # once: done


def test_state_rule_without_a_price_yet_fires_on_the_first_quote() -> None:
    _, feed = _engine(price_rule(1, BELOW, 1.0900))
    assert feed.ids(1.0850) == [1]


def test_cross_is_an_edge_created_below_fires_only_on_reaching_the_level() -> None:
    _, feed = _engine(price_rule(1, CROSS, 1.0900, created_price=1.0850))
    assert feed.ids(1.0860, 1.0899) == []
    assert feed.ids(1.0900) == [1]  # touching counts


def test_cross_created_above_the_level_does_not_fire_while_staying_above() -> None:
    _, feed = _engine(price_rule(1, UP, 1.0900, created_price=1.0950))
    assert feed.ids(1.0990, 1.0920) == []
    assert feed.ids(1.0899) == []  # a down move is not a cross up
    assert feed.ids(1.0905) == [1]


def test_cross_down_touch_counts_and_up_moves_do_not() -> None:
    _, feed = _engine(price_rule(1, DOWN, 1.0900, created_price=1.0850))
    assert feed.ids(1.0950) == []
    assert feed.ids(1.0900) == [1]


def test_a_gap_jumping_over_the_level_fires_once() -> None:
    _, feed = _engine(price_rule(1, CROSS, 1.0900, created_price=1.0850))
    feed.tick(1.0850)
    assert feed.ids(1.0990) == [1]
    assert feed.ids(1.0800, 1.0990, 1.0800) == []  # once: moving back and forth never re-fires


def test_gap_jumping_several_levels_fires_each_once_in_level_order_of_the_index() -> None:
    rules = [price_rule(i, UP, 1.0900 + i * 0.0010, created_price=1.0850) for i in range(1, 6)]
    _, feed = _engine(*rules)
    feed.tick(1.0850)
    assert sorted(feed.ids(1.0935)) == [1, 2, 3]
    assert sorted(feed.ids(1.0990)) == [4, 5]
    assert feed.ids(1.0800, 1.0990) == []


def test_after_gap_firings_are_marked_and_judged_from_the_last_price_before_the_outage() -> None:
    _, feed = _engine(price_rule(1, UP, 1.0900, created_price=1.0850))
    feed.tick(1.0880)
    fired = feed.tick(1.0920, seconds=300, after_gap=True)
    assert [f.rule_id for f in fired] == [1]
    assert fired[0].after_gap
    assert any(GAP_LINE in line and "1.08800" in line for line in fired[0].lines)


def test_integer_point_comparison_ignores_float_noise() -> None:
    rule = price_rule(1, ABOVE, 1.09, created_price=1.0850)
    assert rule.level_points == price_rule(2, ABOVE, 1.0900).level_points == 109000
    _, feed = _engine(rule)
    feed.tick(1.0850)
    assert feed.ids(1.08999) == []
    assert feed.ids(1.0899999999999) == [1]  # rounds to 1.09000: touching the level


def test_every_rearms_only_past_the_hysteresis_band() -> None:
    # spread 0.2 pip -> h = max(2 × 2 points, 1 pip = 10 points) = 10 points
    _, feed = _engine(price_rule(1, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed.tick(1.0850)
    first = feed.tick(1.0900)
    assert [f.rule_id for f in first] == [1]
    assert any("1.08990" in line for line in first[0].lines)  # where it re-arms
    assert feed.ids(1.08995, 1.0900, 1.08992, 1.0901) == []  # jitter around L: nothing
    assert feed.ids(1.0890) == []  # re-armed at L - h
    assert feed.ids(1.0900) == [1]


def test_every_hysteresis_uses_the_largest_of_user_value_and_twice_the_spread() -> None:
    _, feed = _engine(price_rule(1, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY, hysteresis=30))
    feed.tick(1.0850)
    assert feed.ids(1.0900) == [1]
    assert feed.ids(1.08980, 1.09000) == []  # 20 points back is not enough for h = 30
    assert feed.ids(1.08970, 1.09000) == [1]
    wide = AlertEngine()
    wide.add(price_rule(2, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    wide_feed = Feed(wide, spread=0.0005)  # 5 pip spread: h grows towards 2 × 50 points
    for _ in range(200):
        wide_feed.tick(1.0850)
    assert wide.typical_spread("EURUSD") > 45
    assert wide_feed.ids(1.0900) == [2]
    assert wide_feed.ids(1.08950, 1.09000) == []  # h ≈ 2 × 50 points
    assert wide_feed.ids(1.08890, 1.09000) == [2]


def test_every_cross_rearms_by_moving_away_on_either_side() -> None:
    _, feed = _engine(price_rule(1, CROSS, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed.tick(1.0850)
    assert feed.ids(1.0900) == [1]
    assert feed.ids(1.09005, 1.08999, 1.09003) == []
    assert feed.ids(1.09020) == []  # moved h = 10 points away: re-armed
    assert feed.ids(1.0900) == [1]  # crossing back down fires


def test_repeat_fires_while_true_every_n_minutes_and_not_more_often() -> None:
    _, feed = _engine(price_rule(1, ABOVE, 1.0900, created_price=1.0850, mode=Mode.REPEAT, repeat=5))
    feed.tick(1.0850)
    times = []
    for _ in range(16):  # one quote per minute for 16 minutes, all above L
        if feed.tick(1.0950, seconds=60):
            times.append(feed.now)
    assert len(times) == 4
    assert all(b - a == timedelta(minutes=5) for a, b in itertools.pairwise(times))
    assert feed.ids(1.0800, seconds=60) == []  # no longer holds
    assert feed.ids(1.0950, seconds=60) == []  # holds again, but only 2 min since the last firing
    assert feed.ids(1.0950, seconds=170) == []
    assert feed.ids(1.0950, seconds=10) == [1]  # 5 min after the last firing


def test_repeat_reentering_within_the_interval_waits_for_it() -> None:
    _, feed = _engine(price_rule(1, BELOW, 1.0900, created_price=1.0950, mode=Mode.REPEAT, repeat=3))
    feed.tick(1.0950)
    assert feed.ids(1.0890) == [1]
    assert feed.ids(1.0950, 1.0890, seconds=30) == []
    assert feed.ids(1.0890, seconds=150) == [1]


def test_expiry_is_reported_once_and_the_rule_stops() -> None:
    rule = price_rule(1, UP, 1.0900, created_price=1.0850, expires_at=T0 + timedelta(hours=2))
    engine, feed = _engine(rule)
    feed.tick(1.0850)
    assert engine.expire_due(T0 + timedelta(hours=1)) == []
    expired = engine.expire_due(T0 + timedelta(hours=2))
    assert [(f.kind, f.rule_id, f.dedupe_key) for f in expired] == [(KIND_EXPIRED, 1, "expired:1")]
    assert expired[0].state.expired_reported and expired[0].state.done
    assert engine.expire_due(T0 + timedelta(hours=3)) == []
    assert engine.get(1) is None
    assert feed.ids(1.0950) == []


def test_an_expired_rule_does_not_fire_before_being_reported() -> None:
    rule = price_rule(1, UP, 1.0900, created_price=1.0850, expires_at=T0 + timedelta(seconds=1))
    engine, feed = _engine(rule)
    feed.tick(1.0850)
    assert feed.ids(1.0950, seconds=10) == []
    assert len(engine.expire_due(feed.now)) == 1


def test_runaway_rule_is_paused_after_more_than_15_fires_in_3_minutes() -> None:
    engine, feed = _engine(price_rule(1, CROSS, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed.tick(1.0850)
    kinds: list[str] = []
    for _ in range(40):  # swings of 20 points each way, every 2 s
        kinds.extend(f.kind for f in feed.tick(1.0920, seconds=2))
        kinds.extend(f.kind for f in feed.tick(1.0880, seconds=2))
    assert kinds.count(KIND_PRICE) == 16
    assert kinds.count(KIND_RUNAWAY) == 1 and kinds[-1] == KIND_RUNAWAY
    rule = engine.get(1)
    assert rule is not None and rule.state.paused
    assert engine.watched_symbols() == {}
    assert engine.resume(1)
    assert feed.ids(1.0920) == [1]


def test_dedupe_keys_use_the_fire_count_before_each_firing() -> None:
    _, feed = _engine(price_rule(7, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed.tick(1.0850)
    keys = [f.dedupe_key for f in feed.tick(1.0900)]
    feed.tick(1.0850)
    keys += [f.dedupe_key for f in feed.tick(1.0900)]
    assert keys == ["alert:7:0", "alert:7:1"]


def test_ask_and_mid_sides_use_their_own_price() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, ABOVE, 1.0905, created_price=1.0850, side=PriceSide.ASK))
    engine.add(price_rule(2, ABOVE, 1.0905, created_price=1.0850, side=PriceSide.MID))
    engine.add(price_rule(3, ABOVE, 1.0905, created_price=1.0850))
    fired = engine.on_quote(ACC, "EURUSD", 1.0900, 1.0905, T0)
    assert [f.rule_id for f in fired] == [1]
    fired = engine.on_quote(ACC, "EURUSD", 1.0902, 1.0908, T0)
    assert [f.rule_id for f in fired] == [2]  # mid 1.0905


def test_quotes_of_other_accounts_and_symbols_are_ignored() -> None:
    engine, _ = _engine(price_rule(1, ABOVE, 1.0900))
    assert engine.on_quote("acc_other", "EURUSD", 1.1, 1.1, T0) == []
    assert engine.on_quote(ACC, "GBPUSD", 1.1, 1.1, T0) == []
    assert engine.on_quote(ACC, "EURUSD", float("nan"), 1.1, T0) == []


def test_pause_resume_remove_and_watched_symbols() -> None:
    engine, feed = _engine(price_rule(1, UP, 1.0900, created_price=1.0850), price_rule(2, UP, 150.0, symbol="USDJPY",
                                                                                          digits=3))
    assert engine.watched_symbols() == {ACC: {"EURUSD", "USDJPY"}}
    assert engine.pause(1) and not engine.pause(1)
    assert engine.watched_symbols() == {ACC: {"USDJPY"}}
    feed.tick(1.0850)
    assert feed.ids(1.0950) == []
    assert engine.resume(1)
    assert 1 in engine.take_state_changes()
    assert feed.ids(1.0890) == []  # resumed from the current price: the earlier crossing is not replayed
    assert feed.ids(1.0900) == [1]
    assert engine.remove(2) and not engine.remove(2)
    assert engine.watched_symbols() == {}


def test_a_fired_once_rule_loaded_again_never_fires() -> None:
    _, feed = _engine(price_rule(1, UP, 1.0900, created_price=1.0850))
    feed.tick(1.0850)
    fired = feed.tick(1.0950)
    state = fired[0].state
    assert state.done and state.fire_seq == 1
    restarted = AlertEngine()
    assert restarted.add_many([replace(price_rule(1, UP, 1.0900), state=state)]) == 0
    assert Feed(restarted).ids(1.0850, 1.0950) == []


def test_restart_judges_a_crossing_during_downtime_from_the_remembered_price() -> None:
    engine = AlertEngine()
    engine.add_many([price_rule(1, UP, 1.0900, created_price=1.0850), price_rule(2, UP, 1.0900,
                                                                                created_price=1.0950)])
    fired = Feed(engine).tick(1.0960, after_gap=True)
    assert [f.rule_id for f in fired] == [1]
    assert fired[0].after_gap


def test_a_disarmed_every_rule_stays_disarmed_after_restart_until_it_moves_back() -> None:
    _, feed = _engine(price_rule(1, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed.tick(1.0850)
    state = feed.tick(1.0900)[0].state
    assert not state.armed and state.rearm_band == 10
    restarted = AlertEngine()
    restarted.add_many([replace(price_rule(1, UP, 1.0900, mode=Mode.EVERY), state=state)])
    feed2 = Feed(restarted)
    assert feed2.ids(1.09001, 1.08995, 1.09005) == []
    assert feed2.ids(1.08990, 1.09000) == [1]
