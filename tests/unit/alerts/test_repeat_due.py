"""Repeat rules' due times: a heap with lazy deletion, and an expired repeat rule never fires again."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.alerts.due_heap import DueHeap
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.rules import Mode, PriceCondition
from tests.unit.alerts.factories import T0, Feed, price_rule


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["set", "pop", "take"]), st.integers(0, 12), st.integers(0, 50)),
                    max_size=200))
def test_due_heap_matches_a_dict(ops: list[tuple[str, int, int]]) -> None:
    heap, model = DueHeap(), {}
    for op, slot, when in ops:
        if op == "set":
            heap.set(slot, float(when))
            model[slot] = float(when)
        elif op == "pop":
            assert heap.pop(slot) == model.pop(slot, None)
        else:
            assert heap.take_due(float(when)) == [s for t, s in sorted((t, s) for s, t in model.items()) if t <= when]
        assert heap.next_due() == min(model.values(), default=float("inf"))
        assert len(heap) == len(model) and all(s in heap for s in model)


def test_an_expired_repeat_rule_stops_firing_before_the_expiry_sweep() -> None:
    engine = AlertEngine()
    engine.add(price_rule(1, PriceCondition.ABOVE, 1.0900, created_price=1.0850, mode=Mode.REPEAT, repeat=1,
                          expires_at=T0 + timedelta(seconds=100)))
    feed = Feed(engine)
    assert feed.ids(1.0950) == [1]  # t+1: enters the state
    assert feed.ids(1.0951, seconds=60) == [1]  # t+61: due again
    assert feed.ids(1.0952, seconds=60) == []  # t+121: due, but it expired at t+100 (the sweep has not run yet)
    assert [f.kind for f in engine.expire_due(feed.now)] == ["expired"]
