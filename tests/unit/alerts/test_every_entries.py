"""An `every` rule's index entries after each firing: exactly the ones its new state needs, never twice."""

from __future__ import annotations

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import KIND_PRICE, KIND_RUNAWAY
from fxbot.alerts.price_firing import RUNAWAY_FIRES
from fxbot.alerts.rules import Mode, PriceCondition, PriceSide
from tests.unit.alerts.factories import ACC, Feed, price_rule

CROSS = PriceCondition.CROSS


def entries(engine: AlertEngine, rule_id: int) -> tuple[list[int], list[int]]:
    """The (up, down) points of a rule's entries in its book (every entry, duplicates included)."""
    prices = engine._prices
    slot = prices.table.slot_of(rule_id)
    book = prices.index.find(ACC, "EURUSD", PriceSide.BID)
    assert book is not None
    return ([p for p, s in book.up.entries() if s == slot], [p for p, s in book.down.entries() if s == slot])


def test_a_cross_rule_that_fires_beyond_its_band_stays_armed_with_its_entries_once() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, CROSS, 1.08100, created_price=1.08000, mode=Mode.EVERY))
    feed = Feed(engine)
    feed.tick(1.08000)
    first = feed.tick(1.08300)  # 200 points past the level, the band is 10
    assert [f.rule_id for f in first] == [1]
    assert first[0].rule.state.armed and first[0].rule.state.fire_seq == 1
    assert entries(engine, 1) == ([108100], [108100])
    again = feed.tick(1.07900)
    assert [(f.rule_id, f.dedupe_key) for f in again] == [(1, "alert:1:1")]
    assert entries(engine, 1) == ([108100], [108100])


def test_a_cross_rule_fired_within_its_band_waits_at_both_re_arm_points() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, CROSS, 1.08100, created_price=1.08000, mode=Mode.EVERY, hysteresis=30))
    feed = Feed(engine)
    feed.tick(1.08000)
    fired = feed.tick(1.08105)
    assert [f.rule_id for f in fired] == [1]
    assert not fired[0].rule.state.armed and fired[0].rule.state.rearm_band == 30.0
    assert entries(engine, 1) == ([108130], [108070])
    assert feed.tick(1.08020) == []  # back beyond the band below: re-armed, not fired
    assert entries(engine, 1) == ([108100], [108100])
    assert [f.rule_id for f in feed.tick(1.08110)] == [1]


def test_a_runaway_cross_rule_that_stays_armed_leaves_the_index() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, CROSS, 1.08100, created_price=1.08000, mode=Mode.EVERY))
    feed = Feed(engine)
    feed.tick(1.08000)
    kinds: list[str] = []
    for i in range(RUNAWAY_FIRES + 1):
        kinds.extend(f.kind for f in feed.tick(1.08300 if i % 2 == 0 else 1.07900))
    assert kinds == [KIND_PRICE] * (RUNAWAY_FIRES + 1) + [KIND_RUNAWAY]
    assert entries(engine, 1) == ([], [])
    assert feed.tick(1.08300) == [] and feed.tick(1.07900) == []
