"""A fire state decided before a pause, resume or delete and written after it never undoes that change.

The engine decides a firing, then its state is written (with the notification) later: by the burst writer,
or by a worker process while a front process handles the chat's commands on the same database. Whatever
the chat did in between stands; the crossing decided before it is still told, once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import KIND_RUNAWAY
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHAT, ACC = "telegram:-100123", "acc_1"


def _service(storage: Storage) -> AlertService:
    return AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                        preferences=NotificationPreferences(storage.db), clock=lambda: T0, engine=AlertEngine())


async def _rule(service: AlertService, mode: Mode = Mode.EVERY) -> int:
    rule = await service.repository.add(PriceRule(
        id=0, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol="EURUSD", digits=5,
        side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109_500, mode=mode,
        hysteresis_points=10, state=FireState(last_points=109_000)))
    service.engine.add(rule)
    return rule.id


async def _stored(service: AlertService, rule_id: int) -> FireState | None:
    rule = await service.repository.get(rule_id)
    return None if rule is None else rule.state


async def _keys(storage: Storage) -> list[str]:
    rows = await storage.db.fetch_all("SELECT dedupe_key FROM notify_outbox ORDER BY id")
    return [str(row[0]) for row in rows]


@pytest.mark.parametrize("mode", [Mode.ONCE, Mode.EVERY])
async def test_a_pause_made_between_the_decision_and_the_write_stays(storage: Storage, mode: Mode) -> None:
    worker = _service(storage)  # the process evaluating the rule
    rule_id = await _rule(worker, mode)
    fired = worker.engine.on_quote(ACC, "EURUSD", 1.0951, 1.0952, T0)
    assert [f.rule_id for f in fired] == [rule_id]
    assert await AlertRepository(storage.db).set_paused(rule_id, True, CHAT)  # /alert pause, from another process
    assert await worker.deliver(fired) == 1  # decided before the pause: told once
    stored = await _stored(worker, rule_id)
    assert stored is not None and stored.paused and stored.fire_seq == 1
    assert await _keys(storage) == [f"alert:{rule_id}:0"]


async def test_a_resume_made_between_a_quiet_change_and_its_write_stays(storage: Storage) -> None:
    worker = _service(storage)
    rule_id = await _rule(worker)
    await worker.repository.set_paused(rule_id, True, CHAT)
    worker.engine.pause(rule_id)  # the worker learns of the pause: a quiet change, not yet written
    changes = worker.engine.take_state_changes()
    assert changes[rule_id].paused
    assert await AlertRepository(storage.db).set_paused(rule_id, False, CHAT)  # /alert resume, elsewhere
    await worker.repository.save_quiet_states(changes)  # the older change lands last
    stored = await _stored(worker, rule_id)
    assert stored is not None and not stored.paused and stored.armed


async def test_a_resume_made_between_a_firing_and_its_write_stays(storage: Storage) -> None:
    worker = _service(storage)
    rule_id = await _rule(worker)
    await worker.repository.set_paused(rule_id, True, CHAT)
    state = FireState(armed=False, last_points=109_510, fire_seq=1, last_fired_at=T0, paused=True)  # decided paused
    assert await AlertRepository(storage.db).set_paused(rule_id, False, CHAT)
    assert await worker.repository.save_fired_states({rule_id: state}) == 1
    stored = await _stored(worker, rule_id)
    assert stored is not None and not stored.paused and stored.fire_seq == 1


@pytest.mark.parametrize("mode", [Mode.ONCE, Mode.EVERY])
async def test_a_delete_made_between_the_decision_and_the_write_stays(storage: Storage, mode: Mode) -> None:
    worker = _service(storage)
    rule_id = await _rule(worker, mode)
    fired = worker.engine.on_quote(ACC, "EURUSD", 1.0951, 1.0952, T0)
    assert await AlertRepository(storage.db).delete(rule_id, CHAT)  # /alert del, from another process
    assert await worker.deliver(fired) == 1  # decided before the delete: told once
    assert await _stored(worker, rule_id) is None
    assert await storage.db.fetch_value("SELECT COUNT(*) FROM alert_rules") == 0
    assert await worker.deliver(fired) == 0  # a retry tells nothing twice
    assert await _keys(storage) == [f"alert:{rule_id}:0"]


async def test_nothing_fires_after_a_pause_in_the_same_process(storage: Storage) -> None:
    service = _service(storage)
    rule_id = await _rule(service)
    fired = service.engine.on_quote(ACC, "EURUSD", 1.0951, 1.0952, T0)
    await service.repository.set_paused(rule_id, True, CHAT)
    service.engine.pause(rule_id)
    await service.save_state_changes()
    assert service.engine.on_quote(ACC, "EURUSD", 1.0900, 1.0901, T0 + timedelta(seconds=1)) == []
    assert service.engine.on_quote(ACC, "EURUSD", 1.0960, 1.0961, T0 + timedelta(seconds=2)) == []
    await service.deliver(fired)
    stored = await _stored(service, rule_id)
    assert stored is not None and stored.paused and stored.fire_seq == 1
    assert await _keys(storage) == [f"alert:{rule_id}:0"]


def _runaway(service: AlertService, rule_id: int) -> list[Any]:
    """Cross up and back until the rule fires too often and the engine pauses it."""
    fired = []
    for i in range(40):
        at = T0 + timedelta(seconds=2 * i)
        fired += service.engine.on_quote(ACC, "EURUSD", 1.0960, 1.0961, at)
        fired += service.engine.on_quote(ACC, "EURUSD", 1.0940, 1.0941, at + timedelta(seconds=1))
        if any(f.kind == KIND_RUNAWAY for f in fired):
            return fired
    raise AssertionError("the rule never became a runaway")


async def test_a_runaway_pause_is_stored(storage: Storage) -> None:
    service = _service(storage)
    rule_id = await _rule(service)
    fired = _runaway(service, rule_id)
    await service.deliver(fired)
    stored = await _stored(service, rule_id)
    assert stored is not None and stored.paused and stored.fire_seq == len(fired) - 1


async def test_a_runaway_resumed_before_its_write_stays_resumed(storage: Storage) -> None:
    service = _service(storage)
    rule_id = await _rule(service)
    fired = _runaway(service, rule_id)
    await service.repository.set_paused(rule_id, False, CHAT)  # /alert resume, seeing the rule paused
    service.engine.resume(rule_id)
    await service.deliver(fired)
    stored = await _stored(service, rule_id)
    assert stored is not None and not stored.paused and stored.fire_seq == len(fired) - 1
    assert f"runaway:{rule_id}:{len(fired) - 1}" in await _keys(storage)  # the notice is still told
