"""A storm of firings (or of expired rules) persisted chunk by chunk: in order, the loop free between two, and exactly
once across a crash between two chunks (what was committed is not fired again, the rest fires again after a restart)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from fxbot.alerts.firing import Firing
from fxbot.alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from fxbot.stream import pump as pump_module
from fxbot.stream.fills import FillNotifier
from fxbot.stream.firing_chunks import deliver_in_chunks
from fxbot.stream.pump import StreamPump
from tests.unit.services.fake_chat_broker import NOW, ScriptedBroker, open_storage

ACCOUNT, CHAT = "acc_8xKm2", "console:main"
RULES, CHUNK = 50, 10


class CrashingAlerts(AlertService):
    """Records what each deliver call got; the call numbered `crash_at` raises before writing anything."""

    def __init__(self, crash_at: int | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.crash_at = crash_at
        self.calls: list[list[int]] = []

    async def deliver(self, firings: Iterable[Firing]) -> int:
        batch = list(firings)
        self.calls.append([f.rule_id for f in batch])
        if len(self.calls) == self.crash_at:
            raise RuntimeError("the process died here")
        return await super().deliver(batch)


def service(storage: Storage, crash_at: int | None = None) -> CrashingAlerts:
    return CrashingAlerts(crash_at, storage=storage, brokers=ScriptedBroker(), outbox=Outbox(storage.db),
                          preferences=NotificationPreferences(storage.db), clock=lambda: NOW)


async def storm(alerts: AlertService) -> list[Firing]:
    """The first quote after a cold load: every rule crossed at once."""
    await alerts.load()
    return alerts.engine.on_quote(ACCOUNT, "EURUSD", 1.1000, 1.1001, NOW)


async def test_a_crash_between_two_chunks_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    storage = await open_storage(tmp_path)
    try:
        first = service(storage, crash_at=3)
        ids = []
        for i in range(1, RULES + 1):
            rule = await first.repository.add(PriceRule(
                id=0, chat_id=CHAT, owner_id="a", account_id=ACCOUNT, created_at=NOW, symbol="EURUSD", digits=5,
                side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109_000 + 10 * i,
                state=FireState(last_points=109_000)))
            ids.append(rule.id)
        firings = await storm(first)
        assert [f.rule_id for f in firings] == ids
        with pytest.raises(RuntimeError):
            await deliver_in_chunks(first.deliver, firings, CHUNK)
        assert first.calls == [ids[:10], ids[10:20], ids[20:30]]  # in order, one chunk per call
        assert len(await first.outbox.pending()) == 20  # the two chunks committed
        # the restart: the committed rules are done, the others still armed at their stored state
        again = service(storage)
        refired = await storm(again)
        assert [f.rule_id for f in refired] == ids[20:]
        assert await deliver_in_chunks(again.deliver, refired, CHUNK) == RULES - 20
        assert refired == []  # emptied as it went
        pending = await again.outbox.pending()
        assert len(pending) == RULES
        assert len({item.notification.dedupe_key for item in pending}) == RULES
        stored = [await again.repository.get(i) for i in ids]
        assert all(rule is not None and rule.state.done and rule.state.fire_seq == 1 for rule in stored)
    finally:
        await storage.close()


async def test_other_tasks_run_between_two_chunks() -> None:
    delivered: list[list[int]] = []
    seen: set[int] = set()  # chunks delivered each time the other task ran
    stop = asyncio.Event()

    async def deliver(batch: list[Firing]) -> int:
        delivered.append([f.rule_id for f in batch])
        return len(batch)

    async def other_task() -> None:
        while not stop.is_set():
            seen.add(len(delivered))
            await asyncio.sleep(0)

    firings = cast("list[Firing]", [SimpleNamespace(rule_id=i) for i in range(1, 36)])
    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    assert await deliver_in_chunks(deliver, firings, CHUNK) == 35
    stop.set()
    await other
    assert delivered == [list(range(1, 11)), list(range(11, 21)), list(range(21, 31)), list(range(31, 36))]
    assert {1, 2, 3} <= seen  # after every chunk but the last
    assert firings == []


async def test_a_mass_expiry_is_reported_in_chunks_each_rule_once(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    storage = await open_storage(tmp_path)
    try:
        alerts = service(storage)
        ids = []
        for i in range(1, 26):
            rule = await alerts.repository.add(PriceRule(
                id=0, chat_id=CHAT, owner_id="a", account_id=ACCOUNT, created_at=NOW, symbol="EURUSD", digits=5,
                side=PriceSide.BID, condition=PriceCondition.ABOVE, level_points=120_000 + i,
                expires_at=NOW + timedelta(minutes=i), state=FireState(last_points=109_000)))
            ids.append(rule.id)
        await alerts.load()
        monkeypatch.setattr(pump_module, "FIRINGS_CHUNK", CHUNK)
        fills = FillNotifier(storage=storage, outbox=alerts.outbox, preferences=alerts.preferences,
                             clock=lambda: NOW)
        pump = StreamPump(storage=storage, brokers=ScriptedBroker(), alerts=alerts, fills=fills,  # type: ignore[arg-type]
                          clock=lambda: NOW + timedelta(hours=1))
        assert await pump._report_expired() == 25
        assert alerts.calls == [ids[:10], ids[10:20], ids[20:]]  # in expiry order, one transaction per chunk
        assert len(await alerts.outbox.pending()) == 25
        assert await pump._report_expired() == 0  # each reported once
        stored = [await alerts.repository.get(i) for i in ids]
        assert all(rule is not None and rule.state.expired_reported for rule in stored)
    finally:
        await storage.close()
