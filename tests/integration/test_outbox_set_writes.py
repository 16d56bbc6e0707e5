"""A burst's outbox rows and fire states written as sets (PostgreSQL) or row by row (SQLite): the same answers on
both — which keys were new, no state over a newer one, nothing half-written when a statement fails, the text as
it was written, one wake-up per burst."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.notify.notification import Notification, NotificationAction, Severity
from fxbot.notify.outbox import OUTBOX_CHANNEL, Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from fxbot.storage.database import Params
from fxbot.storage.errors import IntegrityViolation

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHAT, ACC = "telegram:-100123", "acc_1"


def _note(key: str, *, title: str | None = None, lines: tuple[str, ...] = (), chat: str = CHAT,
          severity: Severity = Severity.INFO) -> Notification:
    return Notification(chat_id=chat, severity=severity, title=title or key, lines=lines, dedupe_key=key,
                        kind="price_alert", created_at=T0)


async def test_fresh_flags_are_those_of_one_insert_at_a_time(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    rng = random.Random(5)
    seen: set[str] = set()
    order: list[str] = []
    for _ in range(4):  # bursts mixing new keys, keys of earlier bursts and keys repeated within the burst
        keys = [f"alert:{rng.randrange(600)}:0" for _ in range(400)]
        expected = []
        for key in keys:
            expected.append(key not in seen)
            if key not in seen:
                order.append(key)
            seen.add(key)
        assert await outbox.enqueue_many([_note(k, chat=f"telegram:{k[6:9]}") for k in keys]) == expected
    assert [item.notification.dedupe_key for item in await outbox.pending()] == order  # in the order they came


async def test_text_round_trips_as_written(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    texts = ["ünïcødé ✓ 🚀 «guillemets» 'single' \"double\"", "comma, {brace} [bracket] \\backslash\\ \ttab",
             "line one\nline two", "key fx_live_****************9f2c masked", "日本語", "NULL", ""]
    notes = [_note(f"k{i}", title=f"EURUSD ↑ {text}", lines=(text, f"#{i}", "∑ 1.09000 → 1.09010"),
                   severity=Severity(i % 3)) for i, text in enumerate(texts)]
    notes.append(Notification(chat_id="telegram:42", severity=Severity.WARNING, title="with buttons and image",
                              lines=("a",), dedupe_key="rich", kind="k", created_at=T0, thread_id="topic 7 ✓",
                              image=b"\x89PNG\x00\xff", image_name="chart ü.png",
                              actions=(NotificationAction("Snooze ⏰", "/alert snooze 7"),)))
    assert await outbox.enqueue_many(notes) == [True] * len(notes)
    stored = {item.notification.dedupe_key: item.notification for item in await outbox.pending()}
    assert [stored[n.dedupe_key] for n in notes] == notes


async def test_a_failure_after_the_outbox_rows_leaves_nothing_and_the_retry_writes_each_once(
        storage: Storage) -> None:
    service, ids = await _service(storage)
    firings = service.engine.on_quote(ACC, "EURUSD", 1.0910, 1.0911, T0)
    assert len(firings) == len(ids)
    real = storage.db.update_rows

    async def breaking(table: str, columns: Sequence[str], rows: Sequence[Params], **kwargs: Any) -> int:
        bad = [(rows[0][0], 7, *rows[0][2:]), *rows[1:]]  # done = 7 breaks a CHECK, in the server
        return await real(table, columns, bad, **kwargs)

    storage.db.update_rows = breaking  # type: ignore[method-assign]
    with pytest.raises(IntegrityViolation):
        await service.deliver(firings)
    del storage.db.update_rows
    assert sum((await service.outbox.counts()).values()) == 0  # the outbox rows went with the failed state write
    states = [await _state(service, i) for i in ids]
    assert all(not state.done and state.fire_seq == 0 for state in states)
    assert await service.deliver(firings) == len(ids)
    assert await service.deliver(firings) == 0
    assert len(await service.outbox.pending()) == len(ids)
    assert [(await _state(service, i)).fire_seq for i in ids] == [1] * len(ids)


async def test_a_bad_row_in_the_middle_of_a_burst_leaves_no_row_of_it(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    rows = [(f"k{i}", CHAT, "telegram", None, "group", 0, "k", f"t{i}", "[]", 0, "2026-03-02T12:00:00+00:00",
             None, None, None, None) for i in range(300)]
    rows[150] = (*rows[150][:5], 9, *rows[150][6:])  # severity 9 breaks a CHECK
    with pytest.raises(IntegrityViolation):
        await outbox.enqueue_rows(cast(Any, rows))
    assert sum((await outbox.counts()).values()) == 0


async def test_a_stale_state_is_never_written_over_a_newer_one(storage: Storage) -> None:
    service, ids = await _service(storage)
    repo = service.repository
    stored = {rule_id: FireState(fire_seq=3, armed=False, last_points=109_100) for rule_id in ids}
    assert await repo.save_states(stored) == len(ids)
    await storage.db.execute("UPDATE alert_rules SET expired_reported = 1, done = 1 WHERE id = ?", (ids[2],))
    rows = []
    for n, rule_id in enumerate(ids):  # seq 2 (older), 3 (same), 4 (newer)
        seq = 2 + n % 3
        rows.append((0, 0, 0, 109_000 + n, seq, "2026-03-02T12:00:00+00:00", "", None, rule_id, seq, 0))
    written = await repo.save_price_fire_rows(rows)
    expected = {rule_id: 2 + n % 3 >= 3 and n != 2 for n, rule_id in enumerate(ids)}  # n == 2: expiry reported
    assert written == sum(expected.values())
    for n, rule_id in enumerate(ids):
        state = await _state(service, rule_id)
        assert state.fire_seq == (2 + n % 3 if expected[rule_id] else 3)
        assert state.last_points == (109_000 + n if expected[rule_id] else 109_100)
    at_three = [rule_id for rule_id in ids if (await _state(service, rule_id)).fire_seq == 3]
    quiet = {rule_id: FireState(fire_seq=3, armed=True) for rule_id in ids}  # only over the same firing's state
    assert 0 < len(at_three) < len(ids)
    assert await repo.save_quiet_states(quiet) == len(at_three)
    assert [rule_id for rule_id in ids if (await _state(service, rule_id)).armed] == at_three


async def test_listeners_and_other_processes_are_told_once_a_burst(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    woken: list[int] = []
    outbox.add_listener(lambda: woken.append(1))
    told: list[str] = []
    marker = asyncio.Event()

    def heard(payload: str) -> None:
        told.append(payload)
        if payload == "marker":
            marker.set()

    unlisten = await storage.db.listen(OUTBOX_CHANNEL, heard)
    try:
        assert await outbox.enqueue_many([_note(f"k{i}") for i in range(500)]) == [True] * 500
        assert await outbox.enqueue_many([_note(f"k{i}") for i in range(500)]) == [False] * 500  # nothing new
        await storage.db.notify(OUTBOX_CHANNEL, "marker")  # told after the burst's, on the same channel
        await asyncio.wait_for(marker.wait(), 30)
    finally:
        await unlisten()
    assert woken == [1] and told == ["", "marker"]


async def _service(storage: Storage) -> tuple[AlertService, list[int]]:
    repository = AlertRepository(storage.db)
    service = AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                           preferences=NotificationPreferences(storage.db), clock=lambda: T0,
                           engine=AlertEngine(), repository=repository)
    ids = []
    for i in range(12):
        rule = await repository.add(PriceRule(
            id=0, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol="EURUSD", digits=5,
            side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109_000 + i,
            state=FireState(last_points=108_500)))
        service.engine.add(rule)
        ids.append(rule.id)
    return service, ids


async def _state(service: AlertService, rule_id: int) -> FireState:
    rule = await service.repository.get(rule_id)
    assert rule is not None
    return rule.state
