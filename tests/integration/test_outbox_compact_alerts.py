"""A burst's price alerts are stored in their compact form and read back as the very notification the eager path
writes (title, lines, buttons, routing), for every side, condition and mode, with notes, expiries, gaps and
re-arm points; their fire states are those the eager path stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any, cast

from fxbot.alerts.decided_price_firing import DecidedPriceFiring
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHAT, ACC = "telegram:-100123", "acc_1"
NOTES = (None, "breakout", "key sk_live_abcdefghijklmnopqrstuvwx", "ünïcode ✓ \"quoted\"")


async def _service(storage: Storage) -> tuple[AlertService, list[int]]:
    """Rules of every side, condition and mode (repeat: above/below only) around 1.09000 EURUSD."""
    repository = AlertRepository(storage.db)
    service = AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                           preferences=NotificationPreferences(storage.db), clock=lambda: T0,
                           engine=AlertEngine(), repository=repository)
    ids: list[int] = []
    for n, (side, condition, mode) in enumerate(product(PriceSide, PriceCondition, Mode)):
        if mode is Mode.REPEAT and condition.is_edge:
            continue
        rule = await repository.add(PriceRule(
            id=0, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol="EURUSD", digits=5,
            side=side, condition=condition, level_points=109_000 + n % 3 * 10, mode=mode,
            repeat_minutes=1 if mode is Mode.REPEAT else None, hysteresis_points=30 if n % 4 == 1 else None,
            expires_at=T0 + timedelta(days=1) if n % 2 else None, note=NOTES[n % len(NOTES)],
            state=FireState(last_points=108_500)))
        service.engine.add(rule)
        ids.append(rule.id)
    service.remember_threads({ids[1]: "topic-7"})
    return service, ids


def _quotes() -> list[tuple[float, datetime, bool]]:
    """Up through the levels, back down, up again after an outage, down again, and a level met exactly."""
    prices = (1.0850, 1.0912, 1.0880, 1.0930, 1.0870, 1.0900, 1.0905, 1.0860, 1.0940)
    return [(price, T0 + timedelta(minutes=2 * i), i == 3) for i, price in enumerate(prices)]


async def test_compact_rows_read_back_as_the_eager_notifications(storage: Storage) -> None:
    service, _ = await _service(storage)
    decided: list[Firing] = []
    for price, at, gap in _quotes():
        burst = service.engine.on_quote(ACC, "EURUSD", price, price + 0.0001, at, after_gap=gap)
        assert all(type(f) is DecidedPriceFiring and f.unbuilt for f in burst)
        decided += burst
        assert await service.deliver(burst) == len(burst)
    rows = await storage.db.fetch_all("SELECT title, lines_json, price_alert_json FROM notify_outbox")
    assert len(rows) == len(decided) and all(r[0] == "" and r[1] == "[]" and r[2] for r in rows)
    stored = {item.notification.dedupe_key: item for item in await service.outbox.pending()}
    expected = [f.to_notification(thread_id=service._threads.get(f.rule_id)) for f in decided]  # eager, built now
    assert [stored[n.dedupe_key].notification for n in expected] == expected
    assert {n.thread_id for n in expected} == {None, "topic-7"}
    lines = {line for n in expected for line in n.lines}
    assert any(line.startswith("This happened while the price stream was disconnected. (last price") for line in lines)
    assert any(line.startswith("Fires again after the price moves back to") for line in lines)
    assert {"Fires again on the next crossing.", "One-time alert: it is now done.",
            "Repeats every 1 min while this holds.", "Note: breakout"} <= lines
    assert any(line.startswith("Note: key ") for line in lines)
    assert not any("sk_live_abcdefghijklmnopqrstuvwx" in line for line in lines)  # redacted, as when eager
    assert 'Note: ünïcode ✓ "quoted"' in lines
    assert {n.title.split()[1] for n in expected} >= {"is", "crossed", "reached"}
    assert {n.lines[0].split()[0] for n in expected} == {"Bid", "Ask", "Mid"}


async def test_the_fire_states_are_the_eager_paths(storage: Storage, tmp_path: Path) -> None:
    compact, ids = await _service(storage)
    async with await Storage.open(tmp_path / "eager.db", {}) as other:
        eager, _ = await _service(other)
        for price, at, gap in _quotes():
            await compact.deliver(compact.engine.on_quote(ACC, "EURUSD", price, price + 0.0001, at, after_gap=gap))
            burst = eager.engine.on_quote(ACC, "EURUSD", price, price + 0.0001, at, after_gap=gap)
            for firing in burst:
                assert firing.rule.id == firing.rule_id  # built: delivered the eager way (text, FireState)
            await eager.deliver(burst)
        for rule_id in ids:
            assert await compact.repository.get(rule_id) == await eager.repository.get(rule_id)
        assert [i.notification for i in await compact.outbox.pending()] == \
            [i.notification for i in await eager.outbox.pending()]
        assert (await other.db.fetch_value("SELECT COUNT(*) FROM notify_outbox WHERE price_alert_json IS NULL")) == \
            len(await eager.outbox.pending())
