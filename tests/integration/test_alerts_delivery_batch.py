"""A burst of firings is persisted in one transaction on a real SQLite file: all or nothing, each key once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from alerts.engine import AlertEngine
from alerts.repository import AlertRepository
from alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHAT, ACC = "telegram:-100123", "acc_1"


class FailingRepository(AlertRepository):
    """Fails the first save of fire states, as a full disk would."""

    failed = False

    async def save_states(self, states: Mapping[int, FireState]) -> int:
        if not self.failed:
            self.failed = True
            raise OSError("database or disk is full")
        return await super().save_states(states)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "x.db", {})
    yield opened
    await opened.close()


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
