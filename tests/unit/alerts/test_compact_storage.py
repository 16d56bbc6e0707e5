"""The compact storage behind the engine: the blocked index, widening, deferred firings."""

from __future__ import annotations

from array import array
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.price_table import PriceRuleTable
from fxbot.alerts.rules import Mode, PriceCondition, PriceRule
from fxbot.alerts.threshold_index import ThresholdIndex
from tests.unit.alerts.factories import ACC, T0, Feed, price_rule

UP, CROSS = PriceCondition.CROSS_UP, PriceCondition.CROSS


@settings(max_examples=150, deadline=None)
@given(ops=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40), st.integers(0, 30)), max_size=400),
       block=st.integers(4, 12))
def test_blocked_index_matches_a_plain_list(ops: list[tuple[int, int, int]], block: int) -> None:
    index = ThresholdIndex(block)
    model: list[tuple[int, int]] = []  # (points, slot)
    for op, points, slot in ops:
        if op == 0:
            present = (points, slot) in model
            assert index.remove(points, slot) == present
            if present:
                model.remove((points, slot))
        else:
            index.add(points, slot)
            model.append((points, slot))
        if len(model) % 37 == 0:
            index.merge(array("q"), array("i"))  # no-op merge keeps everything
        lo, hi = sorted((points, slot + 5))
        assert list(index.between(lo, hi)) == [s for p, s in sorted(model) if lo <= p <= hi]
    assert len(index) == len(model)
    # by points, then slot: the order depends on the entries only, never on how they came in
    assert list(index.entries()) == sorted(model)
    assert list(index.between(-1, 100)) == [slot for _, slot in sorted(model)]


def test_blocks_split_and_merge_so_no_change_touches_more_than_a_few_blocks() -> None:
    index = ThresholdIndex(8)
    count = 1000
    for slot in range(count):
        index.add(slot % 50, slot)
    sizes = [len(points) for points in index._points]
    assert max(sizes) <= 16 and index.blocks >= count // 16
    for slot in range(0, count - 8, 2):
        assert index.remove(slot % 50, slot)
    sizes = [len(points) for points in index._points]
    assert max(sizes) <= 16 and (min(sizes) >= 2 or index.blocks == 1)
    assert sorted(index.between(0, 49)) == [s for s in range(count) if s % 2 or s >= count - 8]
    for slot in range(count):
        index.remove(slot % 50, slot)
    assert len(index) == 0 and index.blocks == 0 and list(index.between(0, 100)) == []


def test_index_points_widen_past_32_bits() -> None:
    index = ThresholdIndex()
    index.add(5, 1)
    assert index.typecode == "i"
    index.add(2**40, 2)
    assert index.typecode == "q" and list(index.between(0, 2**41)) == [1, 2]
    index.bulk_load(array("q"), array("i"))
    assert index.typecode == "i"


def test_table_widens_ids_and_string_numbers() -> None:
    table = PriceRuleTable()
    slot = table.insert(price_rule(2**33, UP, 1.09), 0)
    assert table.ids.typecode == "q" and table.slot_of(2**33) == slot
    for i in range(70_000):
        table.intern(f"chat:{i}")
    other = table.insert(replace(price_rule(2**34, UP, 1.09), chat_id="chat:69999"), 0)
    assert table.chat.typecode == "I" and table.strings[table.chat[other]] == "chat:69999"
    assert table.rule_of(slot, ACC, "EURUSD", 5, price_rule(1, UP, 1.0).side) == price_rule(2**33, UP, 1.09)


def test_a_firing_keeps_the_rule_as_it_was_when_it_fired() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850))
    feed = Feed(engine)
    feed.tick(1.0850)
    [first] = feed.tick(1.0950)
    # the once rule is gone and its slot goes to a new rule before anyone reads the firing
    engine.add(replace(price_rule(2, CROSS, 1.2000, created_price=1.0950), note="other"))
    assert first.rule_id == 1 and first.chat_id == first.rule.chat_id
    rule = first.rule
    assert isinstance(rule, PriceRule) and rule.level_points == 109_000 and rule.note is None
    assert first.state.done and first.state.fire_seq == 1 and first.state.recent_fires == (first.at.timestamp(),)
    assert first.to_notification().title == "EURUSD crossed up through 1.09000"


def test_an_every_rule_firing_twice_gives_two_distinct_states() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, UP, 1.0900, created_price=1.0850, mode=Mode.EVERY))
    feed = Feed(engine)
    feed.tick(1.0850)
    one = feed.tick(1.0900)
    feed.tick(1.0850)
    two = feed.tick(1.0900)
    assert [f.state.fire_seq for f in one + two] == [1, 2]
    assert len(two[0].state.recent_fires) == 2 and one[0] != two[0]
    assert one[0] == one[0] and hash(one[0]) == hash(one[0])
    assert engine.get(1) == two[0].rule and two[0].at > T0


@settings(max_examples=100, deadline=None)
@given(ids=st.lists(st.integers(1, 2**40), unique=True, min_size=1, max_size=300),
       gone=st.sets(st.integers(0, 299)), block=st.integers(4, 16))
def test_an_id_map_in_blocks_finds_every_id_after_bulk_appends_and_releases(ids: list[int], gone: set[int],
                                                                              block: int) -> None:
    ids.sort()
    index = ThresholdIndex(block)
    half = len(ids) // 2
    index.extend_sorted(ids[:half], range(half))
    index.extend_sorted(ids[half:], range(half, len(ids)))
    for k in sorted(gone):
        if k < len(ids):
            assert index.remove(ids[k], k)
    for k, rule_id in enumerate(ids):
        assert index.first(rule_id) == (None if k in gone else k)
    kept = [k for k in range(len(ids)) if k not in gone]
    assert [slot for _, slot in index.entries()] == kept
    assert index.last_points() == (ids[kept[-1]] if kept else None)


def test_releasing_most_rules_never_rebuilds_the_id_map() -> None:
    table = PriceRuleTable()
    slots = [table.insert(price_rule(rule_id, UP, 1.09), 0) for rule_id in range(1, 3001)]
    for slot in slots[:2900]:
        table.release(slot)  # each release shifts one block of the id map, never the whole map
    assert table.count == 100 and table.live_slots() == slots[2900:]
    assert [table.slot_of(rule_id) for rule_id in (1, 2900, 2901, 3000)] == [None, None, slots[2900], slots[2999]]
    assert table.insert(price_rule(5, UP, 1.09), 0) in slots  # a freed slot, and an id the map forgot
    assert table.slot_of(5) is not None
