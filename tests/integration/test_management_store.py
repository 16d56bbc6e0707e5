"""Managed-stop rules in a real SQLite file: saved, replaced per position and kind, state kept across reopen."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fxbot.domain.broker import Side
from fxbot.management.rules import ManagedRule, RuleKind, RuleStatus
from fxbot.management.store import ManagedStopStore
from fxbot.storage import Storage

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


def trail(**fields: object) -> ManagedRule:
    rule = ManagedRule(id=0, chat_id="console:1", owner_id="u1", private_chat=True, key_id=1, account_id="acc",
                       position_id="pos_1", symbol="EURUSD", side=Side.SELL, volume=0.3, entry_points=108_000,
                       kind=RuleKind.TRAIL, created_at=T0, distance_points=200, step_points=50)
    for name, value in fields.items():
        setattr(rule, name, value)
    return rule


async def test_rules_survive_a_reopen_with_their_state(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        store = ManagedStopStore(storage.db)
        saved = await store.upsert(trail())
        assert saved.id > 0
        saved.best_points, saved.stop_points, saved.failed_points = 107_700, 107_900, 107_880
        saved.status = RuleStatus.SUSPENDED
        await store.save_state(saved)
        again = await store.upsert(trail(distance_points=300))  # same position and kind: replaced
        assert again.id == saved.id
        await store.upsert(trail(kind=RuleKind.BREAKEVEN, trigger_points=150, distance_points=0))
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        store = ManagedStopStore(storage.db)
        rules = await store.all()
        assert [(r.kind, r.distance_points) for r in rules] == [(RuleKind.TRAIL, 300), (RuleKind.BREAKEVEN, 0)]
        assert rules[0].side is Side.SELL and rules[0].created_at == T0 and rules[0].private_chat
        assert await store.delete_position("acc", "pos_1", RuleKind.BREAKEVEN) == 1
        assert await store.delete_position("acc", "pos_1") == 1
        assert await store.for_chat("console:1") == []


async def test_state_columns_round_trip(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "x.db", {}) as storage:
        store = ManagedStopStore(storage.db)
        saved = await store.upsert(trail())
        saved.best_points, saved.stop_points = 107_700, 107_900
        await store.save_state(saved)
        (back,) = await store.all()
        assert (back.best_points, back.stop_points, back.failed_points, back.status) == (
            107_700, 107_900, None, RuleStatus.ACTIVE)
