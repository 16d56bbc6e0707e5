"""The managed-stop engine: breakeven and trailing decisions, never backwards, steps respected."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.domain.broker import Side
from fxbot.management.engine import evaluate, next_due
from fxbot.management.rules import ManagedRule, RuleKind

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def rule(kind: RuleKind, side: Side = Side.BUY, **fields: int | None) -> ManagedRule:
    made = ManagedRule(id=1, chat_id="console:1", owner_id="u", private_chat=True, key_id=1, account_id="a",
                       position_id="p", symbol="EURUSD", side=side, volume=0.3, entry_points=108_000,
                       kind=kind, created_at=T0)
    for name, value in fields.items():
        setattr(made, name, value)
    return made


def test_breakeven_now_moves_the_stop_to_entry_plus_offset() -> None:
    r = rule(RuleKind.BREAKEVEN, stop_points=107_800, offset_points=10)
    assert evaluate(r, 108_200, 108_202).stop_points == 108_010


def test_breakeven_waits_for_its_trigger_and_for_room_above_the_minimum_distance() -> None:
    r = rule(RuleKind.BREAKEVEN, stop_points=107_800, trigger_points=150, offset_points=10)
    assert evaluate(r, 108_149, 108_151).stop_points is None
    assert evaluate(r, 108_150, 108_152).stop_points == 108_010
    near = rule(RuleKind.BREAKEVEN, stop_points=107_800, offset_points=10)
    assert evaluate(near, 108_015, 108_017, min_distance_points=10).stop_points is None


def test_breakeven_never_lowers_a_stop_already_above_entry() -> None:
    r = rule(RuleKind.BREAKEVEN, stop_points=108_050, offset_points=10)
    assert evaluate(r, 108_300, 108_302).stop_points is None


def test_sell_breakeven_is_entry_minus_offset_judged_at_the_ask() -> None:
    r = rule(RuleKind.BREAKEVEN, Side.SELL, stop_points=108_200, trigger_points=100, offset_points=10)
    assert evaluate(r, 107_899, 107_901).stop_points is None  # ask 107_901: 99 points only
    assert evaluate(r, 107_898, 107_900).stop_points == 107_990


def test_trail_starts_at_its_trigger_then_follows_the_best_price_in_steps() -> None:
    r = rule(RuleKind.TRAIL, stop_points=107_800, distance_points=200, step_points=50, trigger_points=100)
    first = evaluate(r, 108_050, 108_052)
    assert first == type(first)(None, None)  # 50 points in profit: not started
    started = evaluate(r, 108_100, 108_102)
    assert started.best_points == 108_100 and started.stop_points == 107_900
    r.best_points, r.stop_points = started.best_points, started.stop_points
    small = evaluate(r, 108_140, 108_142)
    assert small.best_points == 108_140 and small.stop_points is None  # 40 < step 50
    r.best_points = small.best_points
    assert evaluate(r, 108_150, 108_152).stop_points == 107_950
    back = evaluate(r, 108_000, 108_002)  # price falls back: the stop stays
    assert back.stop_points is None and back.best_points == 108_140


def test_trail_clamps_to_the_minimum_stop_distance() -> None:
    r = rule(RuleKind.TRAIL, stop_points=None, distance_points=5)
    assert evaluate(r, 108_100, 108_102, min_distance_points=30).stop_points == 108_070


def test_a_refused_stop_is_retried_only_beyond_it() -> None:
    r = rule(RuleKind.TRAIL, stop_points=107_800, distance_points=200, best_points=108_100, failed_points=107_900)
    assert evaluate(r, 108_100, 108_102).stop_points is None
    assert evaluate(r, 108_101, 108_103).stop_points == 107_901


prices = st.lists(st.integers(min_value=-2_000, max_value=2_000), min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(moves=prices, side=st.sampled_from([Side.BUY, Side.SELL]), distance=st.integers(1, 400),
       step=st.integers(0, 200), trigger=st.integers(0, 300), min_distance=st.integers(0, 50),
       spread=st.integers(0, 30), kind=st.sampled_from([RuleKind.TRAIL, RuleKind.BREAKEVEN]))
def test_the_stop_never_moves_backwards_and_moves_in_steps(
        moves: list[int], side: Side, distance: int, step: int, trigger: int, min_distance: int, spread: int,
        kind: RuleKind) -> None:
    r = rule(kind, side, distance_points=distance, step_points=step, trigger_points=trigger, offset_points=5,
             stop_points=108_000 - side_sign(side) * 500)
    d = side_sign(side)
    for move in moves:
        bid = 108_000 + move
        ask = bid + spread
        before = r.stop_points
        result = evaluate(r, bid, ask, min_distance_points=min_distance)
        r.best_points = result.best_points
        if result.stop_points is None:
            continue
        close = bid if d > 0 else ask
        assert before is not None
        assert d * (result.stop_points - before) >= (max(step, 1) if kind is RuleKind.TRAIL else 1)
        assert d * (close - result.stop_points) >= max(min_distance, 1)  # on the right side, far enough
        r.stop_points = result.stop_points


def side_sign(side: Side) -> int:
    return 1 if side is Side.BUY else -1


maybe = st.one_of(st.none(), st.integers(-400, 400))


@settings(max_examples=400, deadline=None)
@given(side=st.sampled_from([Side.BUY, Side.SELL]), kind=st.sampled_from([RuleKind.TRAIL, RuleKind.BREAKEVEN]),
       distance=st.integers(1, 300), step=st.integers(0, 100), trigger=st.integers(0, 200),
       offset=st.integers(0, 50), stop=maybe, failed=maybe, pending=maybe, best=maybe,
       min_distance=st.integers(0, 40))
def test_next_due_is_exactly_where_evaluation_starts_to_want_a_stop(
        side: Side, kind: RuleKind, distance: int, step: int, trigger: int, offset: int, stop: int | None,
        failed: int | None, pending: int | None, best: int | None, min_distance: int) -> None:
    base = 108_000
    r = rule(kind, side, distance_points=distance, step_points=step, trigger_points=trigger, offset_points=offset,
             stop_points=None if stop is None else base + stop, failed_points=None if failed is None else base + failed,
             pending_points=None if pending is None else base + pending,
             best_points=None if best is None else base + best)
    due = next_due(r, min_distance_points=min_distance)
    d = side_sign(side)
    for close in range(base - 900, base + 900, 7):
        bid, ask = (close, close + 3) if d > 0 else (close - 3, close)
        wants = evaluate(r, bid, ask, min_distance_points=min_distance).stop_points is not None
        assert wants == (due is not None and d * close >= d * due), (close, due)
