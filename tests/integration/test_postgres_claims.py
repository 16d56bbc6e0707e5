"""Claims that must have one winner, on both backends: PostgreSQL runs simultaneous claims on separate
connections, so each is one conditional statement rather than a read then a write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fxbot.guard.state import GuardState, Phase
from fxbot.guard.store import GuardStore
from fxbot.storage import Database

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _state(phase: Phase) -> GuardState:
    return GuardState(account_id="acc-1", day_id="2026-03-02", phase=phase, changed_at=T0, day_start_equity=10_000.0,
                      trigger="daily loss 120.00 USD reached the limit 100.00 USD")


async def test_one_of_many_simultaneous_guard_claims_wins(database: Database) -> None:
    store = GuardStore(database)
    await store.save(_state(Phase.WARNED))
    if database.dialect == "postgresql":  # open the pool's connections first, so the claims truly overlap
        await asyncio.gather(*(database.fetch_value("SELECT pg_sleep(0.05)") for _ in range(10)))
    won = await asyncio.gather(*(store.claim_acting(_state(Phase.ACTING)) for _ in range(20)))
    assert sorted(won) == [False] * 19 + [True]
    current = await store.state("acc-1")
    assert current is not None and current.phase is Phase.ACTING


async def test_a_first_claim_wins_and_a_blocked_account_is_not_claimed(database: Database) -> None:
    store = GuardStore(database)
    assert await store.claim_acting(_state(Phase.ACTING))  # no row yet: inserted
    assert not await store.claim_acting(_state(Phase.ACTING))
    await store.save(_state(Phase.BLOCKED))
    assert not await store.claim_acting(_state(Phase.ACTING))
    await store.save(_state(Phase.ARMED))
    assert await store.claim_acting(_state(Phase.ACTING))
