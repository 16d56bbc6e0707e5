"""The engine (blocked index, due-time heap, deferred firings) fires exactly what a rule-by-rule scan fires.

Hypothesis draws rules of every side, condition and mode (with hysteresis, repeat intervals and
expiries) over two symbols, then a session of quotes interleaved with new rules, deletions,
pauses, resumes and expiry sweeps. After every step the engine's firings must be the reference
evaluator's (tests/unit/alerts/reference_eval.py): same rules, same kinds, same dedupe keys and
the same state after each firing, step by step. Within one quote the order of firings across rules
is not compared (the outbox sorts one chat's notifications by severity anyway); the order of the
steps is. Index blocks are made tiny so splits and merges happen all the time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fxbot.alerts.price_move
import fxbot.alerts.threshold_index
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.alerts.price_columns import PriceColumns
from fxbot.alerts.price_table import CONDITION_CODE, F_ARMED, F_LIVE, F_PAUSED, MODE_CODE, NO_POINTS, epoch, to_us
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from tests.unit.alerts.factories import ACC, CHAT, T0
from tests.unit.alerts.reference_eval import Outcome, Reference

SYMBOLS = (("EURUSD", 5, 108_340), ("USDJPY", 3, 151_200))

RuleArgs = tuple[int, PriceSide, PriceCondition, Mode, int, int | None, int | None, int, int | None]

rule_args = st.tuples(
    st.integers(0, 1),
    st.sampled_from([PriceSide.BID, PriceSide.BID, PriceSide.ASK, PriceSide.MID]),
    st.sampled_from(list(PriceCondition)),
    st.sampled_from([Mode.ONCE, Mode.EVERY, Mode.EVERY, Mode.REPEAT]),
    st.integers(-40, 40),
    st.none() | st.integers(-40, 40),
    st.none() | st.integers(0, 30),
    st.integers(1, 2),
    st.none() | st.integers(5, 900),
)
batch_sizes = st.sampled_from([1, 2, 8, 10**9])
"""How many candidates make a move remove its fired entries in one pass (1: every move; 10**9: never)."""
quote_op = st.tuples(st.just("quote"), st.integers(0, 1), st.integers(-15, 15), st.integers(1, 4),
                     st.sampled_from([0, 1, 1, 5, 30, 70]))
ops = st.lists(st.one_of(
    quote_op, quote_op, quote_op, quote_op, quote_op, quote_op,
    st.tuples(st.just("add"), rule_args),
    st.tuples(st.sampled_from(["remove", "pause", "resume"]), st.integers(0, 80)),
    st.tuples(st.just("expire")),
    st.tuples(st.just("swing"), st.integers(0, 1), st.integers(2, 20)),
), min_size=10, max_size=150)


def build(rule_id: int, args: RuleArgs) -> PriceRule:
    sym, side, cond, mode, offset, created, hysteresis, repeat, expires = args
    symbol, digits, base = SYMBOLS[sym]
    if mode is Mode.REPEAT and cond.is_edge:
        cond = PriceCondition.ABOVE if offset >= 0 else PriceCondition.BELOW
    return PriceRule(
        id=rule_id, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol=symbol,
        digits=digits, side=side, condition=cond, level_points=base + offset, mode=mode,
        repeat_minutes=repeat if mode is Mode.REPEAT else None, hysteresis_points=hysteresis,
        expires_at=None if expires is None else T0 + timedelta(seconds=expires),
        state=FireState(last_points=None if created is None else base + created),
    )


cold_args = st.tuples(rule_args, st.booleans(), st.none() | st.integers(1, 30), st.booleans())
"""A rule stored before a restart: (rule, armed (an `every` rule may be waiting to re-arm), its band, paused)."""


def stored_rule(rule_id: int, args: tuple[RuleArgs, bool, int | None, bool]) -> PriceRule:
    rule_args_, armed, band, paused = args
    rule = build(rule_id, rule_args_)
    disarmed = not armed and rule.mode is Mode.EVERY
    return replace(rule, state=replace(rule.state, armed=not disarmed, paused=paused,
                                       rearm_band=float(band) if disarmed and band is not None else None))


def columns_of(rules: list[PriceRule]) -> PriceColumns:
    """The rules as a cold start reads them from the database (alerts.price_columns)."""
    return PriceColumns(
        ids=[r.id for r in rules], account=[r.account_id for r in rules], symbol=[r.symbol for r in rules],
        side=[r.side.value for r in rules], digits=[r.digits for r in rules], chat=[r.chat_id for r in rules],
        owner=[r.owner_id for r in rules], level=[r.level_points for r in rules],
        last=[NO_POINTS if r.state.last_points is None else r.state.last_points for r in rules],
        created_us=[to_us(r.created_at) for r in rules], fire_seq=[r.state.fire_seq for r in rules],
        condition=[CONDITION_CODE[r.condition] for r in rules], mode=[MODE_CODE[r.mode] for r in rules],
        flags=[F_LIVE | (F_ARMED if r.state.armed else 0) | (F_PAUSED if r.state.paused else 0) for r in rules],
        rearm_band={r.id: r.state.rearm_band for r in rules if r.state.rearm_band is not None},
        hysteresis={r.id: r.hysteresis_points for r in rules if r.hysteresis_points is not None},
        repeat={r.id: r.repeat_minutes for r in rules if r.repeat_minutes},
        expires={r.id: epoch(r.expires_at) for r in rules if r.expires_at is not None},
    )


def outcomes(firings: list[Firing]) -> list[Outcome]:
    out: list[Outcome] = []
    for f in firings:
        s = f.state
        after = (s.armed, s.done, s.paused, s.last_points) if f.kind == "price_alert" else None
        out.append((f.kind, f.rule_id, f.dedupe_key, after))
    return sorted(out, key=repr)


class Session:
    """One engine and the reference, driven by the same steps; each step returns (engine's, reference's) firings."""

    def __init__(self) -> None:
        self.engine, self.ref = AlertEngine(), Reference()
        self.now = T0
        self.prices = [base for _, _, base in SYMBOLS]
        self.next_id = 1

    def add(self, args: RuleArgs) -> tuple[list[Outcome], list[Outcome]]:
        rule = build(self.next_id, args)
        self.next_id += 1
        return outcomes(self.engine.add(rule, self.now)), self.ref.add(rule, self.now)

    def load(self, stored: list[tuple[RuleArgs, bool, int | None, bool]]) -> None:
        """A cold start: the rules loaded column-wise in two chunks, judged by the quotes that follow."""
        rules = [stored_rule(self.next_id + k, args) for k, args in enumerate(stored)]
        self.next_id += len(rules)
        half = len(rules) // 2
        for chunk in (rules[:half], rules[half:]):
            if chunk:
                self.engine.load_price_columns(columns_of(chunk))
        self.engine.finish_loading()
        for rule in rules:
            assert self.ref.add(rule, self.now) == []

    def quote(self, sym: int, points: int, spread: int, seconds: int) -> tuple[list[Firing], list[Outcome]]:
        symbol, digits, _ = SYMBOLS[sym]
        self.prices[sym] = points
        self.now += timedelta(seconds=seconds)
        bid, ask = points / 10**digits, (points + spread) / 10**digits
        return self.engine.on_quote(ACC, symbol, bid, ask, self.now), self.ref.on_quote(symbol, bid, ask, self.now)

    def play(self, op: tuple[object, ...]) -> tuple[list[Outcome], list[Outcome]]:
        kind = op[0]
        if kind == "swing":  # a fast back-and-forth around the start price: every rules run away
            sym, count = int(op[1]), int(op[2])  # type: ignore[call-overload]
            got: list[Firing] = []
            expected: list[Outcome] = []
            for k in range(count):
                fired, ref_fired = self.quote(sym, SYMBOLS[sym][2] + (25 if k % 2 else -25), 2, 1)
                got += fired
                expected += ref_fired
            return outcomes(got), expected
        if kind == "quote":
            sym, move, spread, seconds = (int(v) for v in op[1:])  # type: ignore[call-overload]
            fired, ref_fired = self.quote(sym, self.prices[sym] + move, spread, seconds)
            return outcomes(fired), ref_fired
        if kind == "add":
            return self.add(op[1])  # type: ignore[arg-type]
        if kind == "expire":
            return outcomes(self.engine.expire_due(self.now)), self.ref.expire_due(self.now)
        rule_id = 1 + int(op[1]) % max(1, self.next_id - 1)  # type: ignore[call-overload]
        if rule_id < self.next_id:
            getattr(self.engine, str(kind))(rule_id)
            getattr(self.ref, str(kind))(rule_id)
        return [], []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.lists(rule_args, min_size=1, max_size=60), session=ops, batch=batch_sizes)
def test_engine_fires_what_the_reference_fires_step_by_step(initial: list[RuleArgs],
                                                            session: list[tuple[object, ...]], batch: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fxbot.alerts.threshold_index, "BLOCK", 4)
        patch.setattr(fxbot.alerts.price_move, "BATCH_REMOVE_MIN", batch)
        play = Session()
        for args in initial:
            got, expected = play.add(args)
            assert got == sorted(expected, key=repr)
        for step, op in enumerate(session):
            got, expected = play.play(op)
            assert got == sorted(expected, key=repr), f"step {step}: {op}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored=st.lists(cold_args, min_size=1, max_size=60), session=ops, batch=batch_sizes)
def test_after_a_cold_start_the_engine_fires_what_the_reference_fires(
        stored: list[tuple[RuleArgs, bool, int | None, bool]], session: list[tuple[object, ...]], batch: int) -> None:
    """Rules loaded at start (armed, waiting to re-arm, paused) wait for their book's first price, which judges
    them from their own remembered price (the engine finds the few it can change by bisection)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fxbot.alerts.threshold_index, "BLOCK", 4)
        patch.setattr(fxbot.alerts.price_move, "BATCH_REMOVE_MIN", batch)
        play = Session()
        play.load(stored)
        for step, op in enumerate(session):
            got, expected = play.play(op)
            assert got == sorted(expected, key=repr), f"step {step}: {op}"
