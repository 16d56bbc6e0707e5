"""Exactly once across failed bursts and restarts: every firing decided is stored once, none twice, none lost.

A burst's transaction is made to fail at a random statement (a full disk, a lost connection, a crash
before the commit). The stream's writer then retries the same burst; a restart instead reloads the rules
from the database and sees the same quotes again. Either way each dedupe key ends up in the outbox exactly
once, and the stored fire states are the engine's.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ACC = "acc_1"
BASE = 109_000


class Crash(Exception):
    """The burst's transaction failed before its commit."""


BULK_WRITES = ("execute_many", "insert_new", "update_rows")
"""The gateway's bulk writes (insert_new and update_rows run as executemany on SQLite: counted once)."""


def _failing_at(storage: Storage, statement: int) -> None:
    """Make the `statement`-th bulk write from now on fail (once)."""
    db = storage.db
    calls, depth = [0], [0]

    def failing(name: str) -> Callable[..., Awaitable[Any]]:
        real = getattr(type(db), name)

        async def write(*args: Any, **kwargs: Any) -> Any:
            if depth[0] == 0:
                calls[0] += 1
                if calls[0] == statement:
                    raise Crash(f"bulk write {statement} failed")
            depth[0] += 1
            try:
                return await real(db, *args, **kwargs)
            finally:
                depth[0] -= 1

        return write

    for name in BULK_WRITES:
        setattr(db, name, failing(name))


def _healed(storage: Storage) -> None:
    for name in BULK_WRITES:
        storage.db.__dict__.pop(name, None)


def _service(storage: Storage, engine: AlertEngine) -> AlertService:
    return AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                        preferences=NotificationPreferences(storage.db), clock=lambda: T0, engine=engine)


async def _rules(repo: AlertRepository, rng: random.Random, n: int) -> None:
    rules = []
    for i in range(n):
        condition = rng.choice(list(PriceCondition))
        mode = rng.choice([Mode.ONCE, Mode.EVERY] + ([] if condition.is_edge else [Mode.REPEAT]))
        rules.append(PriceRule(
            id=0, chat_id=f"telegram:-100{i % 7}", owner_id="telegram:42", account_id=ACC, created_at=T0,
            symbol="EURUSD", digits=5, side=PriceSide.BID, condition=condition,
            level_points=BASE + rng.randint(-40, 40) * 5, mode=mode,
            repeat_minutes=1 if mode is Mode.REPEAT else None, hysteresis_points=10,
            state=FireState(last_points=BASE)))
    await repo.add_many(rules)


async def _loaded(storage: Storage) -> AlertEngine:
    engine = AlertEngine()
    await AlertRepository(storage.db).load_into(engine)
    return engine


async def _stored_keys(storage: Storage) -> list[str]:
    return [str(row[0]) for row in await storage.db.fetch_all("SELECT dedupe_key FROM notify_outbox")]


@pytest.mark.parametrize("seed", range(3))
async def test_failed_bursts_and_restarts_store_each_firing_once(storage: Storage, seed: int) -> None:
    rng = random.Random(seed)
    await _rules(AlertRepository(storage.db), rng, 120)
    engine = await _loaded(storage)
    service = _service(storage, engine)
    first = engine.on_quote(ACC, "EURUSD", BASE / 1e5, (BASE + 2) / 1e5, T0)  # syncs the loaded rules
    await service.deliver(first)
    decided = {f.dedupe_key for f in first}
    price, at = BASE, T0
    for _burst in range(25):
        quotes = []
        for _ in range(rng.randint(1, 6)):
            price += rng.choice((-60, -30, -10, 10, 30, 60))
            at += timedelta(seconds=rng.choice((1, 20, 70)))
            quotes.append((price, at))
        batch: list[Firing] = []
        for points, moment in quotes:
            batch += service.engine.on_quote(ACC, "EURUSD", points / 1e5, (points + 2) / 1e5, moment)
        _failing_at(storage, rng.randint(1, 4))
        try:
            await service.deliver(batch)
        except Crash:
            _healed(storage)
            if rng.random() < 0.5:
                await service.deliver(batch)  # the writer retries the same burst
            else:  # a restart: the rules as last committed, the same quotes again
                service = _service(storage, await _loaded(storage))
                batch = []
                for points, moment in quotes:
                    batch += service.engine.on_quote(ACC, "EURUSD", points / 1e5, (points + 2) / 1e5, moment)
                await service.deliver(batch)
        _healed(storage)
        decided.update(f.dedupe_key for f in batch)
    keys = await _stored_keys(storage)
    assert len(keys) == len(set(keys))  # nothing twice
    assert set(keys) == decided  # nothing lost
    await service.deliver([])
    for rule_id in range(1, 121):  # the stored states are the engine's
        live = service.engine.fire_state(rule_id)
        stored = await service.repository.get(rule_id)
        assert stored is not None
        if live is not None:
            assert (stored.state.fire_seq, stored.state.armed, stored.state.paused) == (
                live.fire_seq, live.armed, live.paused), rule_id
        else:
            assert stored.state.done


def _note(key: str) -> Notification:
    return Notification(chat_id="telegram:-1001", severity=Severity.INFO, title=key, lines=("a line",),
                        dedupe_key=key, kind="price_alert", created_at=T0)


async def test_a_bulk_enqueue_with_some_known_keys_stores_only_the_new_ones(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    assert await outbox.enqueue_many([_note("a"), _note("b")]) == [True, True]
    async with storage.db.transaction():  # in a caller's transaction, as deliver does
        fresh = await outbox.enqueue_many([_note("c"), _note("a"), _note("d"), _note("c"), _note("b")])
    assert fresh == [True, False, True, False, False]
    assert sorted(await _stored_keys(storage)) == ["a", "b", "c", "d"]
    rows = await storage.db.fetch_all("SELECT dedupe_key, lines_json FROM notify_outbox ORDER BY id")
    assert [(str(r[0]), str(r[1])) for r in rows][-1] == ("d", '["a line"]')
    assert [item.notification.lines for item in await outbox.pending()] == [("a line",)] * 4


async def test_a_failed_bulk_enqueue_leaves_nothing(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    await outbox.enqueue_many([_note("a")])
    with pytest.raises(Crash):
        async with storage.db.transaction():
            await outbox.enqueue_many([_note("b"), _note("a"), _note("c")])
            raise Crash("after the insert, before the commit")
    assert await _stored_keys(storage) == ["a"]


async def test_a_quiet_change_taken_by_a_failed_burst_is_written_by_the_next(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    await repo.add(PriceRule(
        id=0, chat_id="telegram:-1001", owner_id="telegram:42", account_id=ACC, created_at=T0, symbol="EURUSD",
        digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=BASE + 50, mode=Mode.EVERY,
        hysteresis_points=10, state=FireState(last_points=BASE)))
    service = _service(storage, await _loaded(storage))
    service.engine.on_quote(ACC, "EURUSD", BASE / 1e5, (BASE + 2) / 1e5, T0)
    await service.deliver(service.engine.on_quote(ACC, "EURUSD", (BASE + 60) / 1e5, (BASE + 62) / 1e5, T0))
    assert service.engine.on_quote(ACC, "EURUSD", BASE / 1e5, (BASE + 2) / 1e5, T0) == []  # re-arms: quiet
    _failing_at(storage, 1)
    with pytest.raises(Crash):
        await service.deliver([])
    _healed(storage)
    stored = await repo.get(1)
    assert stored is not None and not stored.state.armed
    await service.deliver([])  # nothing new from the engine: the change the failed attempt took is written now
    stored = await repo.get(1)
    assert stored is not None and stored.state.armed and stored.state.fire_seq == 1
