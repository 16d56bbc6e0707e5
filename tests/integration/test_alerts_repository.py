"""AlertRepository on a real SQLite file: round trips, fire state, cold load, restart without re-firing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import AccountMetric, AccountRule, FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.storage import Storage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHAT = "telegram:-100123"
ACC = "acc_1"


def _price(level: float = 1.09, **kw: object) -> PriceRule:
    values: dict[str, object] = {
        "id": 0, "chat_id": CHAT, "owner_id": "telegram:42", "account_id": ACC, "created_at": T0,
        "symbol": "EURUSD", "digits": 5, "side": PriceSide.BID, "condition": PriceCondition.CROSS_UP,
        "level_points": round(level * 1e5), "state": FireState(last_points=108500),
    }
    values.update(kw)
    return PriceRule(**values)  # type: ignore[arg-type]


async def test_round_trip_of_price_and_account_rules(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    price = await repo.add(_price(mode=Mode.REPEAT, condition=PriceCondition.ABOVE, repeat_minutes=5,
                                  expires_at=T0 + timedelta(hours=2), note="breakout", hysteresis_points=20))
    account = await repo.add(AccountRule(id=0, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0,
                                         metric=AccountMetric.DRAWDOWN, threshold=3, percent=True,
                                         anchor_tz="Europe/London", anchor_hour=22))
    assert price.id > 0 and account.id > price.id
    assert await repo.get(price.id) == price
    assert await repo.get(account.id) == account
    assert [r.id for r in await repo.list_for_chat(CHAT, now=T0)] == [price.id, account.id]
    assert await repo.list_for_chat("telegram:other", now=T0) == []


async def test_state_pause_delete(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    rule = await repo.add(_price())
    state = FireState(armed=False, last_points=109010, fire_seq=3, recent_fires=(1.5, 2.25),
                      last_fired_at=T0, rearm_band=12.0, day_id="2026-03-01", day_start_balance=10_000.0,
                      dormant=True, ref_value=9_000.0)
    assert await repo.save_state(rule.id, state)
    loaded = await repo.get(rule.id)
    assert loaded is not None and loaded.state == state
    assert await repo.set_paused(rule.id, True, chat_id=CHAT)
    assert not await repo.set_paused(rule.id, True, chat_id="telegram:other")
    paused = await repo.get(rule.id)
    assert paused is not None and paused.state.paused
    assert await repo.save_states({rule.id: replace(state, fire_seq=4)}) == 1
    other = await repo.add(_price(1.1))
    assert not await repo.delete(rule.id, chat_id="telegram:other")
    assert await repo.delete(rule.id, chat_id=CHAT)
    assert await repo.get(rule.id) is None
    assert await repo.delete_all_for_chat(CHAT) == [other.id]
    assert not await repo.save_state(other.id, state)


async def test_done_rules_are_not_loaded_but_listed_as_recently_fired(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    live = await repo.add(_price())
    done = await repo.add(_price(1.1))
    await repo.save_state(done.id, FireState(done=True, armed=False, fire_seq=1, last_fired_at=T0))
    assert [r.id for r in await repo.load_all_active()] == [live.id]
    assert [r.id for r in await repo.list_for_chat(CHAT, now=T0 + timedelta(days=1))] == [live.id, done.id]
    assert [r.id for r in await repo.list_for_chat(CHAT, now=T0 + timedelta(days=30))] == [live.id]


async def test_cold_load_into_engine_matches_the_object_path(storage: Storage) -> None:
    repo = AlertRepository(storage.db)
    stored = [await repo.add(_price(1.09 + i / 1e4, note="n" if i % 2 else None)) for i in range(25)]
    await repo.add(AccountRule(id=0, chat_id=CHAT, owner_id="u", account_id=ACC, created_at=T0,
                               metric=AccountMetric.MARGIN_LEVEL, threshold=150, percent=True))
    engine = AlertEngine()
    assert await repo.load_into(engine, chunk=7) == 26
    assert len(engine) == 26
    assert engine.get(stored[3].id) == stored[3]
    fired = engine.on_quote(ACC, "EURUSD", 1.0905, 1.0906, T0)
    assert sorted(f.rule_id for f in fired) == [r.id for r in stored[:6]]


async def test_restart_never_refires_a_once_rule_and_never_forgets_one(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    storage = await Storage.open(path, {})
    repo = AlertRepository(storage.db)
    fired_rule = await repo.add(_price(1.09))
    waiting = await repo.add(_price(1.10))
    engine = AlertEngine()
    await repo.load_into(engine)
    engine.on_quote(ACC, "EURUSD", 1.0850, 1.0851, T0)
    firings = engine.on_quote(ACC, "EURUSD", 1.0950, 1.0951, T0 + timedelta(seconds=1))
    assert [f.rule_id for f in firings] == [fired_rule.id]
    for firing in firings:  # the pump: enqueue first, then persist the fire state
        await repo.save_state(firing.rule_id, firing.state)
    await storage.close()

    storage = await Storage.open(path, {})
    repo = AlertRepository(storage.db)
    engine = AlertEngine()
    assert await repo.load_into(engine) == 1
    # while the bot was down the price went to 1.1050: the waiting rule fires (once), the fired one never
    again = engine.on_quote(ACC, "EURUSD", 1.1050, 1.1051, T0 + timedelta(minutes=5), after_gap=True)
    assert [(f.rule_id, f.after_gap) for f in again] == [(waiting.id, True)]
    assert engine.on_quote(ACC, "EURUSD", 1.0800, 1.0801, T0 + timedelta(minutes=6)) == []
    assert engine.on_quote(ACC, "EURUSD", 1.1100, 1.1101, T0 + timedelta(minutes=7)) == []
    await storage.close()


async def test_migration_2_is_recorded(storage: Storage) -> None:
    assert await storage.db.schema_version() >= 2
    assert "alert_rules" in await storage.db.tables_with_column("chat_id")
