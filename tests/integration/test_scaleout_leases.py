"""Leases on a real database (SQLite file and PostgreSQL), two Database objects as two processes, a fake clock:
one holder per lease, partitions split fairly and taken over within lease + renew, one scheduler leader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fxbot.scaleout.leader import LeaderLease
from fxbot.scaleout.leases import LeaseStore
from fxbot.scaleout.partitions import PARTITION_PREFIX, PartitionKeeper, partition_of, quota
from fxbot.storage.database import Database
from fxbot.storage.open_database import open_database

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
LEASE_S, RENEW_S, PARTITIONS = 30.0, 10.0, 32


class Clock:
    """A UTC clock that moves only when told (shared by the 'processes' of a test)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def _open(url: str) -> Database:
    return await open_database(url if url.startswith("postgresql://") else Path(url))


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two connections to one database, as two processes have."""
    first = await _open(database_url)
    second = await _open(database_url)
    try:
        yield first, second
    finally:
        await second.close()
        await first.close()


def _keeper(db: Database, owner: str, clock: Clock) -> PartitionKeeper:
    return PartitionKeeper(LeaseStore(db, owner, clock), partitions=PARTITIONS, lease_s=LEASE_S, renew_s=RENEW_S)


async def _owners(db: Database, clock: Clock) -> dict[int, str]:
    leases = await LeaseStore(db, "reader", clock).list(PARTITION_PREFIX)
    return {int(lease.name.removeprefix(PARTITION_PREFIX)): lease.owner for lease in leases if lease.live(clock())}


async def test_a_lease_has_one_holder_until_it_lapses(two: tuple[Database, Database]) -> None:
    clock = Clock()
    a, b = LeaseStore(two[0], "a", clock), LeaseStore(two[1], "b", clock)
    length = timedelta(seconds=LEASE_S)
    assert await a.claim("scheduler", length) == T0 + length
    assert await b.claim("scheduler", length) is None
    clock.advance(LEASE_S - 1)
    assert await a.claim("scheduler", length) is not None  # renewed by its holder
    clock.advance(LEASE_S - 1)
    assert await b.claim("scheduler", length) is None  # still within the renewed lease
    clock.advance(2)
    assert await b.claim("scheduler", length) is not None  # lapsed: taken over
    assert await a.claim("scheduler", length) is None  # the old holder cannot take it back while b holds it
    await b.release(["scheduler"])
    assert await a.claim("scheduler", length) is not None  # released: free at once


async def test_workers_split_the_partitions_and_a_dead_ones_are_taken_over_within_lease_plus_renew(
        two: tuple[Database, Database]) -> None:
    clock = Clock()
    first, second = _keeper(two[0], "w1", clock), _keeper(two[1], "w2", clock)
    assert len(await first.tick()) == PARTITIONS  # alone: everything
    await second.tick()  # a new worker: it sees two live workers, but w1 still holds all
    assert second.held == frozenset()
    await first.tick()  # w1 gives up its extras at once
    await second.tick()  # … and w2 claims them
    assert len(first.held) == len(second.held) == PARTITIONS // 2
    assert first.held.isdisjoint(second.held)
    owners = await _owners(two[0], clock)
    assert len(owners) == PARTITIONS and {p for p, o in owners.items() if o == "w1"} == first.held

    died_at = clock.now  # w1 is killed (kill -9): it never renews again
    while len(second.held) < PARTITIONS:
        clock.advance(RENEW_S)
        await second.tick()
        assert clock.now - died_at <= timedelta(seconds=LEASE_S + RENEW_S), "takeover took longer than the bound"
    assert set((await _owners(two[1], clock)).values()) == {"w2"}


async def test_an_orderly_stop_hands_the_partitions_over_at_once(two: tuple[Database, Database]) -> None:
    clock = Clock()
    first, second = _keeper(two[0], "w1", clock), _keeper(two[1], "w2", clock)
    await first.tick()
    await second.tick()
    await first.tick()
    await second.tick()
    seen: list[frozenset[int]] = []

    async def told(held: frozenset[int]) -> None:
        seen.append(held)

    first.on_change = told
    await first.release_all()
    assert seen == [frozenset()]
    await second.tick()  # no waiting for a lapse: w1's heartbeat and partitions are gone
    assert len(second.held) == PARTITIONS


async def test_a_worker_that_cannot_renew_gives_its_partitions_up_before_others_may_claim_them(
        two: tuple[Database, Database]) -> None:
    clock = Clock()
    keeper = _keeper(two[0], "w1", clock)
    await keeper.tick()
    await two[0].close()  # its database connection is gone: renewals fail
    clock.advance(RENEW_S)
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a closed database
        await keeper.tick()
    await keeper._lapse_if_due()
    assert len(keeper.held) == PARTITIONS  # still within its last lease
    clock.advance(LEASE_S - RENEW_S)
    await keeper._lapse_if_due()
    assert keeper.held == frozenset()  # the lease is over: others may hold them now, so it stops too
    clock.advance(1)  # a claim needs the lease strictly past its end: the holder has stopped by then
    other = _keeper(two[1], "w2", clock)
    assert len(await other.tick()) == PARTITIONS


async def test_one_scheduler_leader_and_a_new_one_after_it_dies(two: tuple[Database, Database]) -> None:
    clock = Clock()
    events: list[str] = []

    def leader(db: Database, name: str) -> LeaderLease:
        async def elected() -> None:
            events.append(f"{name} leads")

        async def deposed() -> None:
            events.append(f"{name} stops")

        return LeaderLease(LeaseStore(db, name, clock), lease_s=LEASE_S, renew_s=RENEW_S,
                           on_elected=elected, on_deposed=deposed)

    a, b = leader(two[0], "a"), leader(two[1], "b")
    assert await a.tick() and not await b.tick()
    clock.advance(RENEW_S)
    assert await a.tick() and not await b.tick()
    died_at = clock.now  # a freezes (a long pause) without renewing
    while not await b.tick():
        clock.advance(RENEW_S)
    assert clock.now - died_at <= timedelta(seconds=LEASE_S + RENEW_S)
    assert not await a.tick()  # a wakes up: b holds the lease, so a stops its jobs
    assert events == ["a leads", "b leads", "a stops"]
    await b.step_down(release=True)
    assert await a.tick()
    assert events[-2:] == ["b stops", "a leads"]


def test_quotas_sum_to_the_partitions_and_keys_spread_over_them() -> None:
    for workers in range(1, 9):
        live = [f"w{i}" for i in range(workers)]
        shares = [quota(w, live, PARTITIONS) for w in live]
        assert sum(shares) == PARTITIONS and max(shares) - min(shares) <= 1
    assert len({partition_of(key_id, PARTITIONS) for key_id in range(1, 200)}) == PARTITIONS
