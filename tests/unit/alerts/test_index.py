"""The threshold index: bisection finds exactly the crossed levels (property-tested against a scan)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.rules import PriceCondition
from fxbot.alerts.threshold_index import KEY_SHIFT, ThresholdIndex
from tests.unit.alerts.factories import Feed, price_rule


def test_between_is_inclusive_and_remove_takes_one_entry() -> None:
    index = ThresholdIndex()
    for points, slot in [(10, 1), (20, 2), (20, 3), (30, 4)]:
        index.add(points, slot)
    assert sorted(index.between(10, 20)) == [1, 2, 3]
    assert list(index.between(21, 29)) == []
    assert index.remove(20, 3) and not index.remove(20, 3)
    assert list(index.between(0, 100)) == [1, 2, 4]


@settings(max_examples=150, deadline=None)
@given(
    entries=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 10_000)), max_size=80),
    lo=st.integers(-10, 210),
    hi=st.integers(-10, 210),
)
def test_between_matches_a_naive_scan(entries: list[tuple[int, int]], lo: int, hi: int) -> None:
    index = ThresholdIndex()
    for points, slot in entries:
        index.add(points, slot)
    lo, hi = min(lo, hi), max(lo, hi)
    assert sorted(index.between(lo, hi)) == sorted(s for p, s in entries if lo <= p <= hi)
    assert [p for p, _ in index.entries()] == sorted(p for p, _ in entries)


@settings(max_examples=60, deadline=None)
@given(
    levels=st.lists(st.integers(108_000, 110_000), min_size=1, max_size=40),
    path=st.lists(st.integers(107_900, 110_100), min_size=1, max_size=30),
)
def test_engine_fires_exactly_the_rules_a_naive_evaluator_fires(levels: list[int], path: list[int]) -> None:
    start = 109_000
    engine = AlertEngine()
    conditions = list(PriceCondition)
    rules = [price_rule(i + 1, conditions[i % 5], lv / 1e5, created_price=start / 1e5) for i, lv in enumerate(levels)]
    for rule in rules:
        engine.add(rule)
    feed = Feed(engine)
    feed.tick(start / 1e5)
    got: dict[int, int] = {}
    for points in path:
        for fid in feed.ids(points / 1e5):
            got[fid] = got.get(fid, 0) + 1
    expected: dict[int, int] = {}
    for rule in rules:  # naive: walk every rule over every step of the path
        prev = start
        fired = (rule.condition is PriceCondition.ABOVE and start >= rule.level_points) or (
            rule.condition is PriceCondition.BELOW and start <= rule.level_points)
        for cur in path:
            if fired:
                break
            lv = rule.level_points
            c = rule.condition
            fired = (
                (c is PriceCondition.ABOVE and cur >= lv) or (c is PriceCondition.BELOW and cur <= lv)
                or (c in (PriceCondition.CROSS, PriceCondition.CROSS_UP) and prev < lv <= cur)
                or (c in (PriceCondition.CROSS, PriceCondition.CROSS_DOWN) and cur <= lv < prev)
            )
            prev = cur
        if fired and not (rule.condition in (PriceCondition.ABOVE, PriceCondition.BELOW) and (
                (rule.condition is PriceCondition.ABOVE and start >= rule.level_points)
                or (rule.condition is PriceCondition.BELOW and start <= rule.level_points))):
            expected[rule.id] = 1
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(st.tuples(st.integers(-50, 50), st.integers(0, 40)), unique=True, max_size=120),
    lo=st.integers(-60, 60), width=st.integers(0, 40), data=st.data(), block=st.integers(4, 16),
    extra=st.lists(st.tuples(st.integers(-50, 50), st.integers(41, 60)), unique=True, max_size=3),
)
def test_remove_sorted_takes_exactly_the_given_entries_of_a_range(
        entries: list[tuple[int, int]], lo: int, width: int, data: st.DataObject, block: int,
        extra: list[tuple[int, int]]) -> None:
    """A move's fired entries removed in one pass: survivors of the range (and entries added inside it after it
    was read) stay, in order, whether the range sits in one block or spans several; a key not there is skipped."""
    index = ThresholdIndex(block=block)
    for points, slot in entries:
        index.add(points, slot)
    found = sorted((p, s) for p, s in entries if lo <= p <= lo + width)
    gone = data.draw(st.lists(st.sampled_from(found), unique=True)) if found else []
    for points, slot in extra:  # added after the range was read, e.g. a re-armed rule's new entry
        index.add(points, slot)
    missing = [(lo, 99)] if data.draw(st.booleans()) else []
    keys = [p * KEY_SHIFT + s for p, s in sorted(gone + missing)]
    if keys:
        index.remove_sorted(keys)
    left = sorted(set(entries + extra) - set(gone))
    assert list(index.entries()) == left
    assert len(index) == len(left)
    for points, slot in left:  # the blocks' bookkeeping still finds every entry
        assert index.remove(points, slot)
    assert len(index) == 0 and index.blocks == 0
