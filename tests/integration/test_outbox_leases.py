"""The outbox lease on both backends: claims are exclusive and per chat, a lapsed lease is taken over, the marks
change only rows still held, and a stop hands its rows back. Two gateways on one database stand for two processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from fxbot.notify.lease import OutboxLease
from fxbot.notify.notification import Severity
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.storage.database import Database
from fxbot.storage.open_database import open_database
from tests.unit.notify.factories import WallClock, note

LEASE = timedelta(seconds=20)


async def open_at(location: str) -> Database:
    """Another gateway on the same database: another delivery process."""
    return await open_database(location if location.startswith("postgresql://") else Path(location))


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    first, second = await open_at(database_url), await open_at(database_url)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_a_critical_only_claim_takes_the_critical_rows_oldest_first(two: tuple[Database, Database]) -> None:
    wall = WallClock()
    out_a = Outbox(two[0], wall)
    a, b = OutboxLease(out_a, "a", LEASE), OutboxLease(Outbox(two[1], wall), "b", LEASE)
    for i in range(4):
        await out_a.enqueue(note("telegram:1", f"info-{i}"))
        await out_a.enqueue(note(f"telegram:{i + 2}", f"critical-{i}", severity=Severity.CRITICAL))
    await b.claim({"telegram"}, 1)  # b holds chat 1's first row (info-0): a never takes chat 1's rows

    taken = await a.claim({"telegram"}, 3, critical_only=True)
    assert [i.notification.dedupe_key for i in taken] == ["critical-0", "critical-1", "critical-2"]
    assert [i.notification.dedupe_key for i in await a.claim({"telegram"}, 10, critical_only=True)] == ["critical-3"]
    assert await a.claim({"telegram"}, 10, critical_only=True) == []
    assert [i.notification.dedupe_key for i in await b.claim({"telegram"}, 10)] == ["info-1", "info-2", "info-3"]


async def test_claims_are_exclusive_and_keep_a_chat_with_one_holder(two: tuple[Database, Database]) -> None:
    wall = WallClock()
    out_a, out_b = Outbox(two[0], wall), Outbox(two[1], wall)
    a, b = OutboxLease(out_a, "a", LEASE), OutboxLease(out_b, "b", LEASE)
    for i in range(3):
        await out_a.enqueue(note("telegram:1", f"one-{i}"))
    await out_a.enqueue(note("telegram:2", "two-0"))
    await out_a.enqueue(note("discord:3", "three-0"))

    [first] = await a.claim({"telegram"}, 1)
    assert first.notification.dedupe_key == "one-0"
    # b may not take the rest of chat 1 while a holds part of it; nor a platform it does not serve
    assert [i.notification.dedupe_key for i in await b.claim({"telegram"}, 10)] == ["two-0"]
    assert [i.notification.dedupe_key for i in await a.claim({"telegram"}, 10)] == ["one-1", "one-2"]
    assert await b.claim({"telegram"}, 10) == [] and await a.claim({"telegram"}, 10) == []

    assert await a.renew() is None  # still live: one row written, whatever a holds
    held_by_a = await a.held()
    assert len(held_by_a) == 3 and first.id in held_by_a
    assert await b.mark_sent([first.id]) == 0  # not b's to finish
    await b.record_failure([first.id], "not mine")
    assert await a.mark_sent([first.id]) == 1
    assert await a.held() == held_by_a - {first.id}

    assert await a.release() == 2  # an orderly stop: b takes chat 1 over at once
    assert await two[0].fetch_value("SELECT COUNT(*) FROM notify_delivery_leases WHERE owner = 'a'") == 0
    assert [i.notification.dedupe_key for i in await b.claim({"telegram"}, 10)] == ["one-1", "one-2"]
    rows = await two[0].fetch_all("SELECT dedupe_key, attempts, claimed_by FROM notify_outbox ORDER BY id")
    assert [(r["dedupe_key"], r["attempts"], r["claimed_by"]) for r in rows] == [
        ("one-0", 0, "a"), ("one-1", 0, "b"), ("one-2", 0, "b"), ("two-0", 0, "b"), ("three-0", 0, None)]


async def test_a_lapsed_lease_is_taken_over_and_the_old_holder_can_finish_nothing(
    two: tuple[Database, Database],
) -> None:
    wall = WallClock()
    out_a, out_b = Outbox(two[0], wall), Outbox(two[1], wall)
    a, b = OutboxLease(out_a, "a", LEASE), OutboxLease(out_b, "b", LEASE)
    told: list[set[int]] = []
    a.on_lapse = told.append
    for i in range(6):
        await out_a.enqueue(note(f"telegram:{i % 3}", f"k{i}"))
    claimed = await a.claim({"telegram"}, 10)
    assert len(claimed) == 6

    wall.now += LEASE  # not yet lapsed: lease_until is not before now
    assert await b.claim({"telegram"}, 10) == []
    wall.now += timedelta(microseconds=1)
    taken = await b.claim({"telegram"}, 4)
    assert [i.id for i in taken] == [i.id for i in claimed[:4]]  # oldest first, across chats
    kept = {i.id for i in claimed[4:]}

    assert await a.renew() == kept == told[0]  # a learns what it still holds: nobody took those meanwhile
    assert await a.renew() is None
    assert await a.mark_sent([i.id for i in taken]) == 0
    assert await a.mark_failed([claimed[0].id], "gave up") == 0
    assert await a.mark_undeliverable([claimed[1].id], "kicked") == 0
    assert await b.mark_sent([i.id for i in taken]) == 4
    assert await a.mark_sent(kept) == 2
    assert (await out_b.counts())[OutboxState.SENT] == 6


async def test_claims_come_in_batches_oldest_first(database: Database) -> None:
    outbox = Outbox(database)
    lease = OutboxLease(outbox, "a", LEASE)
    for i in range(7):
        await outbox.enqueue(note(f"telegram:{i}", f"k{i}"))
    batches = [[i.notification.dedupe_key for i in await lease.claim({"telegram", "discord"}, 3)] for _ in range(4)]
    assert batches == [["k0", "k1", "k2"], ["k3", "k4", "k5"], ["k6"], []]
    assert await lease.claim(set(), 3) == [] and await lease.claim({"telegram"}, 0) == []
    with pytest.raises(ValueError):
        OutboxLease(outbox, "a", timedelta(0))


async def test_a_gone_delivery_process_on_this_host_is_taken_over_at_once(two: tuple[Database, Database]) -> None:
    """A restart after kill -9: the dead process's rows go out now, not once its lease lapses."""
    wall = WallClock()
    out_a, out_b = Outbox(two[0], wall), Outbox(two[1], wall)
    done = subprocess.run(  # noqa: ASYNC221 (a process that has ended: its pid is free)
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    host = socket.gethostname()
    dead, alive = f"{host}:{int(done.stdout)}:dead", f"{host}:{os.getppid()}:alive"
    elsewhere = f"{host}-other:{int(done.stdout)}:far"
    leases = {owner: OutboxLease(out_a, owner, LEASE) for owner in (dead, alive, elsewhere)}
    for i, owner in enumerate(leases):
        await out_a.enqueue(note(f"telegram:{i}", f"k{i}"))
        assert len(await leases[owner].claim({"telegram"}, 10)) == 1

    restarted = OutboxLease(out_b, f"{host}:{os.getpid()}:new", LEASE)
    assert await restarted.claim({"telegram"}, 10) == []  # every lease still live
    assert await restarted.end_dead_local_leases() == [dead]  # a live pid and another host keep theirs
    assert [i.notification.dedupe_key for i in await restarted.claim({"telegram"}, 10)] == ["k0"]
    # a container restarted as the same pid under a new owner name: the old owner is not this process
    again = OutboxLease(out_a, f"{host}:{os.getpid()}:newer", LEASE)
    assert await again.end_dead_local_leases() == [restarted.owner]
