"""Crossings inside a stream outage, found on the gap's M1 candles: once per rule, marked, never twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import GAP_LINE
from fxbot.alerts.gap_replay import GapBar
from fxbot.alerts.price_reading import PriceReading
from fxbot.alerts.rules import Mode, PriceCondition, PriceSide
from tests.unit.alerts.factories import ACC, T0, Feed, price_rule

UP, ABOVE = PriceCondition.CROSS_UP, PriceCondition.ABOVE
SPREAD = 0.00002


def bar(minute: int, open_: float, high: float, low: float, close: float) -> GapBar:
    return GapBar(opened_at=T0 + timedelta(minutes=minute), open=open_, high=high, low=low, close=close)


def at(minute: int, second: int = 30) -> datetime:
    return T0 + timedelta(minutes=minute, seconds=second)


def replay(engine: AlertEngine, bars: list[GapBar], bid: float, when: datetime) -> list[int]:
    return [f.rule_id for f in engine.replay_gap(ACC, "EURUSD", bars, bid, bid + SPREAD, when)]


ROUND_TRIP = [bar(0, 1.0850, 1.0850, 1.0850, 1.0850), bar(1, 1.0850, 1.0905, 1.0845, 1.0850)]


def test_a_level_crossed_and_left_during_the_outage_fires_once_and_says_so() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850))
    Feed(engine).tick(1.0850)  # the last price before the outage (12:00:01)
    fired = engine.replay_gap(ACC, "EURUSD", ROUND_TRIP, 1.0850, 1.0850 + SPREAD, at(3))
    assert [f.rule_id for f in fired] == [1] and fired[0].after_gap
    assert fired[0].title == "EURUSD crossed up through 1.09000"
    gap_line = next(line for line in fired[0].lines if line.startswith(GAP_LINE))
    assert "12:01 UTC one-minute candle" in gap_line and "1.08500 now" in gap_line
    assert fired[0].lines[0].startswith("Bid 1.09050")
    assert engine.last_price(ACC, "EURUSD") == 1.0850


def test_the_current_quote_alone_would_have_missed_it() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850))
    Feed(engine).tick(1.0850)
    assert replay(engine, [], 1.0850, at(3)) == []  # no candles (they could not be read): today's judgement


def test_a_state_rule_true_only_inside_the_gap_fires_once() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, ABOVE, 1.0900, created_price=1.0850))
    Feed(engine).tick(1.0850)
    assert replay(engine, ROUND_TRIP, 1.0850, at(3)) == [1]


def test_an_every_rule_fires_once_for_the_whole_gap_and_is_armed_again_after() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed = Feed(engine)
    feed.tick(1.0850)
    choppy = [*ROUND_TRIP, bar(2, 1.0850, 1.0910, 1.0850, 1.0850), bar(3, 1.0850, 1.0920, 1.0840, 1.0860)]
    assert replay(engine, choppy, 1.0850, at(4)) == [1]
    feed.now = at(4, 40)
    assert feed.ids(1.0901) == [1]  # re-armed by the price back below the band: a live crossing fires


def test_replaying_the_same_gap_twice_notifies_nothing_twice() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850))
    engine.add(price_rule(2, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    engine.add(price_rule(3, ABOVE, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    Feed(engine).tick(1.0850)
    assert sorted(replay(engine, ROUND_TRIP, 1.0850, at(1, 40))) == [1, 2, 3]
    assert replay(engine, ROUND_TRIP, 1.0850, at(1, 50)) == []  # a second reconnect in the same minute
    later = [*ROUND_TRIP, bar(2, 1.0850, 1.0850, 1.0850, 1.0850)]
    assert replay(engine, later, 1.0850, at(2, 10)) == []  # and in the next one


def test_in_the_minute_of_the_last_price_only_what_was_not_judged_live_counts() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed = Feed(engine)
    assert feed.ids(1.0850, 1.0905, 1.0850) == [1]  # fired live at 12:00:02, re-armed at 12:00:03
    seen = [bar(0, 1.0850, 1.0905, 1.0850, 1.0850)]
    assert replay(engine, seen, 1.0850, at(0, 50)) == []  # that high was judged live: not a new crossing
    higher = [bar(0, 1.0850, 1.0907, 1.0850, 1.0850)]
    assert replay(engine, higher, 1.0850, at(0, 55)) == [1]  # a higher high came after: unseen, it crossed


def test_a_rule_set_during_the_outage_is_not_judged_on_prices_from_before_it() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850))
    Feed(engine).tick(1.0850)
    late = price_rule(2, UP, 1.0900, created_price=1.0850)
    assert engine.add(late, at(2), reading=PriceReading(1.0850, 1.0850 + SPREAD, asked_at=at(2))) == []
    assert replay(engine, ROUND_TRIP, 1.0850, at(3)) == [1]  # the 12:01 spike predates rule 2


def test_an_ask_rule_sees_the_bid_candles_through_the_current_spread() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850, side=PriceSide.ASK))
    Feed(engine).tick(1.0850)
    bars = [bar(1, 1.0850, 1.0899, 1.0850, 1.0850)]
    assert [f.rule_id for f in engine.replay_gap(ACC, "EURUSD", bars, 1.0850, 1.0852, at(2))] == [1]


def test_without_a_price_before_the_gap_only_the_current_quote_is_judged() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, ABOVE, 1.0900, created_price=1.0850))
    engine.add(price_rule(2, UP, 1.0900, created_price=1.0850))
    assert engine.gap_started(ACC, "EURUSD") is None
    fired = engine.replay_gap(ACC, "EURUSD", ROUND_TRIP, 1.0950, 1.0950 + SPREAD, at(3))
    assert sorted(f.rule_id for f in fired) == [1, 2] and all(f.after_gap for f in fired)
    assert all(any(line.startswith(GAP_LINE) for line in f.lines) for f in fired)


def test_the_gap_starts_at_the_minute_of_the_last_judged_price() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850))
    feed = Feed(engine)
    feed.now = at(7, 20)
    feed.tick(1.0850)
    assert engine.gap_started(ACC, "EURUSD") == T0 + timedelta(minutes=7)
