"""A burst of firings is persisted in one transaction (SQLite and PostgreSQL): all or nothing, each key once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHAT, ACC = "telegram:-100123", "acc_1"


class FailingRepository(AlertRepository):
    """Fails the first save of price fire states, as a full disk would."""

    failed = False

    async def save_price_fire_rows(self, rows: Sequence[tuple[object, ...]]) -> int:
        if not self.failed:
            self.failed = True
            raise OSError("database or disk is full")
        return await super().save_price_fire_rows(rows)


async def _service(storage: Storage, repository: AlertRepository) -> tuple[AlertService, list[str]]:
    fired: list[str] = []
    service = AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                           preferences=NotificationPreferences(storage.db), clock=lambda: T0,
                           engine=AlertEngine(), repository=repository)
    service.on_fired = fired.append
    for i in range(1, 6):
        rule = await repository.add(PriceRule(
            id=0, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol="EURUSD", digits=5,
            side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109_000 + i,
            state=FireState(last_points=108_500)))
        service.engine.add(rule)
    return service, fired


async def test_a_failed_burst_leaves_nothing_and_its_retry_writes_each_firing_once(storage: Storage) -> None:
    service, fired = await _service(storage, FailingRepository(storage.db))
    firings = service.engine.on_quote(ACC, "EURUSD", 1.0910, 1.0911, T0)
    assert len(firings) == 5
    with pytest.raises(OSError):
        await service.deliver(firings)
    # all or nothing: no notification without its saved state (a restart would fire these again, same keys)
    assert sum((await service.outbox.counts()).values()) == 0
    assert all(rule is not None and not rule.state.done
               for rule in [await service.repository.get(i) for i in range(1, 6)])
    assert await service.deliver(firings) == 5
    assert await service.deliver(firings) == 0  # delivered again (a retry after a lost answer): no duplicate
    assert len(await service.outbox.pending()) == 5 and fired == ["price_alert"] * 5
    assert all(rule is not None and rule.state.done
               for rule in [await service.repository.get(i) for i in range(1, 6)])


async def test_enqueue_many_drops_known_keys_and_repeats_within_the_burst(storage: Storage) -> None:
    outbox = Outbox(storage.db)
    woken: list[int] = []
    outbox.add_listener(lambda: woken.append(1))

    def note(key: str) -> Notification:
        return Notification(chat_id=CHAT, severity=Severity.INFO, title=key, lines=(), dedupe_key=key, kind="k",
                            created_at=T0)

    assert await outbox.enqueue(note("a"))
    assert await outbox.enqueue_many([note("a"), note("b"), note("b"), note("c")]) == [False, True, False, True]
    assert [item.notification.dedupe_key for item in await outbox.pending()] == ["a", "b", "c"]
    assert woken == [1, 1]  # once for the single enqueue, once for the whole burst
    assert await outbox.enqueue_many([]) == []


async def _stored(service: AlertService, rule_id: int) -> FireState:
    rule = await service.repository.get(rule_id)
    assert rule is not None
    return rule.state


async def _every_rule(service: AlertService) -> int:
    rule = await service.repository.add(PriceRule(
        id=0, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol="EURUSD", digits=5,
        side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109_500, mode=Mode.EVERY,
        expires_at=T0 + timedelta(hours=1), state=FireState(last_points=109_000)))
    service.engine.add(rule)
    return rule.id


async def test_an_older_firing_written_late_never_undoes_a_newer_state(storage: Storage) -> None:
    service, _ = await _service(storage, AlertRepository(storage.db))
    rule_id = await _every_rule(service)
    first = service.engine.on_quote(ACC, "EURUSD", 1.0951, 1.0952, T0)  # fires (seq 0 -> 1), still unwritten
    service.engine.on_quote(ACC, "EURUSD", 1.0900, 1.0901, T0 + timedelta(seconds=1))  # re-arms
    second = service.engine.on_quote(ACC, "EURUSD", 1.0960, 1.0961, T0 + timedelta(seconds=2))  # seq 1 -> 2
    expired = service.engine.expire_due(T0 + timedelta(hours=2))
    await service.deliver(second + expired)  # another writer (the expiry sweep) commits first
    await service.deliver([f for f in first if f.rule_id == rule_id])  # the older burst commits last
    stored = await _stored(service, rule_id)
    assert stored.fire_seq == 2 and stored.expired_reported and stored.done  # not resurrected, not rewound


async def test_a_pause_after_a_firing_survives_that_firings_late_write(storage: Storage) -> None:
    service, _ = await _service(storage, AlertRepository(storage.db))
    rule_id = await _every_rule(service)
    fired = [f for f in service.engine.on_quote(ACC, "EURUSD", 1.0951, 1.0952, T0) if f.rule_id == rule_id]
    await service.repository.set_paused(rule_id, True, CHAT)  # /alert pause, while the firing waits to be written
    service.engine.pause(rule_id)
    await service.save_state_changes()  # the pause is ahead of the unwritten firing: that firing's write takes it
    assert (await _stored(service, rule_id)).fire_seq == 0
    await service.deliver(fired)
    stored = await _stored(service, rule_id)
    assert stored.paused and stored.fire_seq == 1


async def test_a_quiet_change_never_runs_ahead_of_an_unwritten_firing(storage: Storage) -> None:
    service, _ = await _service(storage, AlertRepository(storage.db))
    rule_id = await _every_rule(service)
    fired = [f for f in service.engine.on_quote(ACC, "EURUSD", 1.0951, 1.0952, T0) if f.rule_id == rule_id]
    service.engine.on_quote(ACC, "EURUSD", 1.0900, 1.0901, T0 + timedelta(seconds=1))  # re-arms (a quiet change)
    await service.deliver([])  # e.g. an account update's delivery takes the quiet changes now
    # a crash here must re-fire the unwritten firing after the restart: the stored state has not moved on
    assert (await _stored(service, rule_id)).fire_seq == 0
    await service.deliver(fired)
    stored = await _stored(service, rule_id)
    assert stored.fire_seq == 1 and stored.armed  # the firing's write carried the re-arm
