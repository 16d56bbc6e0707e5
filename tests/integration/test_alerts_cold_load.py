"""Cold load equivalence: an engine loaded from SQLite (column-wise JSON, lean rows) evaluates exactly like add()."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fxbot.alerts.cold_load import load_price_rules
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide, Rule
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC)
ACC = "acc_1"
SYMBOLS = (("EURUSD", 5, 108_500), ("USDJPY", 3, 150_000), ("XAUUSD", 2, 200_000))


def random_rules(n: int, seed: int) -> list[PriceRule]:
    """Rules of every kind and state: edges, states, every/repeat, disarmed, paused, notes, expiries."""
    rng = random.Random(seed)
    rules = []
    for i in range(n):
        symbol, digits, ref = SYMBOLS[i % len(SYMBOLS)]
        cond = rng.choice(list(PriceCondition))
        mode = rng.choice([Mode.ONCE, Mode.EVERY] + ([Mode.REPEAT] if not cond.is_edge else []))
        level = ref + rng.randint(-60, 60)
        fired = rng.random() < 0.3
        disarmed = mode is Mode.EVERY and fired and rng.random() < 0.6
        last_fired = T0 - timedelta(seconds=rng.randint(1, 400), microseconds=rng.randint(0, 999_999))
        state = FireState(
            armed=not disarmed,
            last_points=None if rng.random() < 0.2 else ref + rng.randint(-80, 80),
            fire_seq=rng.randint(1, 9) if fired else 0,
            recent_fires=tuple(sorted(last_fired.timestamp() - rng.uniform(0, 150) for _ in range(rng.randint(0, 3))))
            if fired and mode is not Mode.ONCE else (),
            last_fired_at=last_fired if fired else None,
            paused=rng.random() < 0.1,
            rearm_band=float(rng.randint(5, 30)) if disarmed else None,
        )
        rules.append(PriceRule(
            id=0, chat_id=f"telegram:{rng.randint(1, 7)}", owner_id=f"telegram:u{rng.randint(1, 4)}", account_id=ACC,
            created_at=T0 - timedelta(days=1, microseconds=rng.randint(0, 999_999)), symbol=symbol, digits=digits,
            side=rng.choice(list(PriceSide)), condition=cond, level_points=level, mode=mode,
            repeat_minutes=rng.randint(1, 5) if mode is Mode.REPEAT else None,
            hysteresis_points=rng.randint(0, 40) if rng.random() < 0.3 else None,
            expires_at=T0 + timedelta(minutes=rng.randint(1, 90), microseconds=rng.randint(0, 999_999))
            if rng.random() < 0.3 else None,
            note=rng.choice([None, None, 'say "hi", then: ,[]{}', "ünïcode ✓", "plain"]), state=state,
        ))
    return rules


def _seen(firings: list[Firing]) -> list[tuple[object, ...]]:
    return [(f.kind, f.dedupe_key, f.chat_id, f.rule_id, f.title, f.lines, f.rule, f.state, f.after_gap)
            for f in firings]


def drive(engine: AlertEngine, seed: int, steps: int = 400) -> list[tuple[object, ...]]:
    """Feed a random market (walks, gaps, outages) and the expiry clock; return everything observable."""
    rng = random.Random(seed)
    prices = {symbol: ref for symbol, _, ref in SYMBOLS}
    now = T0
    out: list[tuple[object, ...]] = []
    for _ in range(steps):
        now += timedelta(seconds=rng.choice((1, 2, 5, 30, 90)))
        symbol, digits, _ = rng.choice(SYMBOLS)
        prices[symbol] += rng.choice((-30, -3, -1, 0, 1, 3, 30))
        bid = prices[symbol] / 10**digits
        ask = (prices[symbol] + rng.randint(0, 4)) / 10**digits
        out.append(tuple(_seen(engine.on_quote(ACC, symbol, bid, ask, now, after_gap=rng.random() < 0.05))))
        if rng.random() < 0.1:
            out.append(tuple(_seen(engine.expire_due(now))))
        if rng.random() < 0.05:
            out.append(tuple(sorted(engine.take_state_changes().items())))
    out.append(tuple(sorted(engine.watched_symbols().items())))
    return out


async def _stored(repo: AlertRepository, rules: list[PriceRule]) -> list[Rule]:
    await repo.add_many(rules)
    return await repo.load_all_active()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_loaded_engine_evaluates_exactly_like_one_built_with_add(storage: Storage, seed: int) -> None:
    repo = AlertRepository(storage.db)
    stored = await _stored(repo, random_rules(300, seed))
    by_add = AlertEngine()
    assert by_add.add_many(stored) == len(stored)
    loaded = AlertEngine()
    assert await repo.load_into(loaded, chunk=37) == len(stored)  # many small id ranges
    lean = AlertEngine()
    assert await repo._load_lean_rows(lean, 50) == len(stored)
    lean.finish_loading()
    for engine in (loaded, lean):
        assert len(engine) == len(by_add)
        assert [engine.get(r.id) for r in stored] == [by_add.get(r.id) for r in stored]
        assert engine.get(stored[5].id) == stored[5]
    expected = drive(by_add, seed)
    assert sum(len(step) for step in expected) > 50  # the market really fired rules
    assert drive(loaded, seed) == expected
    assert drive(lean, seed) == expected


async def test_timestamps_not_in_the_fixed_form_are_parsed_in_python(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    stored = await _stored(repo, random_rules(40, 9))
    await storage.db.execute("UPDATE alert_rules SET created_at = '2026-03-01T10:00:00+00:00' WHERE id % 2 = 0")
    await storage.db.execute("UPDATE alert_rules SET expires_at = '2026-03-02T13:00:00.5+00:00'"
                             " WHERE id % 3 = 0 AND expires_at IS NOT NULL")
    expected = await repo.load_all_active()
    engine = AlertEngine()
    assert await repo.load_into(engine) == len(stored)
    assert [engine.get(r.id) for r in expected] == expected
    assert engine.get(stored[1].id).created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # type: ignore[union-attr]


async def test_loading_into_an_engine_that_already_has_later_rules_takes_the_slow_path(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    stored = await _stored(repo, random_rules(30, 4))
    engine = AlertEngine()
    late = PriceRule(id=10_000, chat_id="c", owner_id="o", account_id=ACC, created_at=T0, symbol="EURUSD",
                     digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS, level_points=109_000)
    engine.add(late)
    assert await load_price_rules(storage.db, engine) == len(stored)
    engine.finish_loading()
    assert engine.get(late.id) == late
    reference = AlertEngine()
    reference.add_many([*stored, late])
    assert [engine.get(r.id) for r in stored] == [reference.get(r.id) for r in stored]
    assert drive(engine, 4) == drive(reference, 4)


async def test_an_empty_table_loads_nothing(storage: Storage) -> None:
    engine = AlertEngine()
    assert await AlertRepository(storage.db).load_into(engine) == 0
    assert len(engine) == 0 and engine.watched_symbols() == {}


class BookCountingEngine(AlertEngine):
    """An engine that counts the books indexed so far at the end of a cold load."""

    def __init__(self) -> None:
        super().__init__()
        self.books_done = 0

    def finish_loading_books(self) -> Iterator[int]:
        for number in super().finish_loading_books():
            self.books_done += 1
            yield number


async def test_a_cold_load_lets_other_tasks_run_between_its_ranges_and_between_its_books(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    stored = await _stored(repo, random_rules(300, 5))
    engine = BookCountingEngine()
    seen: set[tuple[int, int]] = set()  # (rules loaded, books indexed) each time the other task ran
    stop = asyncio.Event()

    async def other_task() -> None:  # the ops endpoint, a chat: any task on the same loop
        while not stop.is_set():
            seen.add((len(engine), engine.books_done))
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    assert await repo.load_into(engine, chunk=30) == len(stored)
    stop.set()
    await other
    loaded_counts = {count for count, books in seen if books == 0}
    ranges = -(-(stored[-1].id - stored[0].id + 1) // 30)
    assert len(loaded_counts - {0}) >= ranges - 1  # it ran after every range but the last (and the fetches)
    books = {books for _, books in seen}
    assert engine.books_done == 9  # 3 symbols x 3 sides
    assert set(range(1, engine.books_done)) <= books  # it ran between every two books
    expected = AlertEngine()
    expected.add_many(stored)
    assert [engine.get(r.id) for r in stored] == [expected.get(r.id) for r in stored]
