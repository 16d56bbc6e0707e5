"""DigestScheduler concurrency: schedules run side by side (bounded), one schedule never twice at once.

Event-driven: the fake digest builder blocks until released, so "five started together" is observed, not
timed. Storage is a real SQLite file; the outbox is the real one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from fxbot.chat.types import ChatKind
from fxbot.notify.outbox import Outbox
from fxbot.scheduling.schedule_store import DigestSchedule, DigestScheduleStore
from fxbot.scheduling.scheduler import DigestScheduler
from fxbot.services.digests import DigestContent, ScheduleListener
from fxbot.storage import Storage
from tests.postgres_server import postgres_or_none

THU_CLOSE = datetime(2026, 4, 2, 21, 0, tzinfo=UTC)  # 17:00 in New York
CHATS = [f"telegram:-{100 + n}" for n in range(12)]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class BlockingDigests:
    """A DigestSource whose digests take as long as the test says: each waits for `release`."""

    def __init__(self, store: DigestScheduleStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.release = asyncio.Event()
        self.started: list[str] = []
        self.late: list[bool] = []
        self.building = 0
        self.most_at_once = 0
        self._changed = asyncio.Event()

    @property
    def store(self) -> DigestScheduleStore:
        return self._store

    def attach(self, listener: ScheduleListener | None) -> None:
        return None

    async def build(self, schedule: DigestSchedule, slot: datetime, *, late: bool = False) -> DigestContent:
        self.started.append(schedule.chat_id)
        self.late.append(late)
        self.building += 1
        self.most_at_once = max(self.most_at_once, self.building)
        self._changed.set()
        try:
            await self.release.wait()
        finally:
            self.building -= 1
        self._clock.now += timedelta(minutes=3)  # each digest takes a while (FxSocket, the chart)
        return DigestContent(title=f"digest {schedule.chat_id}", lines=("P&L +1.00",), image=None,
                             image_name="digest.png", equity=1000.0, report=cast(Any, None))

    async def wait_started(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.started) < count:
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def storage(tmp_path: Path, database_url: str) -> AsyncIterator[Storage]:
    """A Storage on each backend (SQLite file, PostgreSQL database)."""
    async with await Storage.open(tmp_path / "fxbot.db", {}, url=postgres_or_none(database_url)) as opened:
        yield opened


async def schedules(store: DigestScheduleStore) -> None:
    for chat_id in CHATS:
        await store.save(DigestSchedule(chat_id=chat_id, kind="daily", hour=17, minute=0,
                                        timezone="America/New_York", chat_kind=ChatKind.GROUP, thread_id=None,
                                        created_by="telegram:1", created_at=THU_CLOSE - timedelta(days=3)))


async def test_schedules_due_together_are_built_side_by_side_up_to_the_bound(storage: Storage) -> None:
    store = DigestScheduleStore(storage.db)
    await schedules(store)
    clock = Clock(THU_CLOSE + timedelta(seconds=5))
    digests = BlockingDigests(store, clock)
    outbox = Outbox(storage.db, clock)
    scheduler = DigestScheduler(digests=digests, outbox=outbox, clock=clock, max_concurrent=5)
    # What APScheduler does at 17:00: every job's coroutine is started as its own task.
    runs = [asyncio.create_task(scheduler.run_job(chat_id, "daily")) for chat_id in CHATS]
    await digests.wait_started(5)  # five digests are being built at once (one lock for all: only one)
    digests.release.set()
    assert await asyncio.gather(*runs) == [True] * len(CHATS)
    assert sorted(digests.started) == sorted(CHATS)
    assert digests.most_at_once == 5  # bounded
    # 12 digests of 3 minutes each: the last ones finish long after 17:10, yet none is "late" — they
    # fired on time and only waited for their turn.
    assert clock.now - THU_CLOSE > timedelta(minutes=30)
    assert digests.late == [False] * len(CHATS)
    pending = await outbox.pending()
    assert len(pending) == len(CHATS) and not any("(late)" in item.notification.title for item in pending)


async def test_one_schedule_never_runs_twice_at_once(storage: Storage) -> None:
    store = DigestScheduleStore(storage.db)
    await schedules(store)
    clock = Clock(THU_CLOSE + timedelta(seconds=5))
    digests = BlockingDigests(store, clock)
    scheduler = DigestScheduler(digests=digests, outbox=Outbox(storage.db, clock), clock=clock)
    first = asyncio.create_task(scheduler.run_job(CHATS[0], "daily"))
    await digests.wait_started(1)
    again = asyncio.create_task(scheduler.run_job(CHATS[0], "daily"))  # a repeated wall time, a manual run
    other = asyncio.create_task(scheduler.run_job(CHATS[1], "daily"))
    await digests.wait_started(2)  # another schedule is not held up by the first one
    assert digests.started == [CHATS[0], CHATS[1]]
    digests.release.set()
    assert list(await asyncio.gather(first, again, other)) == [True, False, True]  # slot done: no second
    assert digests.started.count(CHATS[0]) == 1


async def test_catch_up_after_downtime_is_concurrent_too(storage: Storage) -> None:
    store = DigestScheduleStore(storage.db)
    await schedules(store)
    clock = Clock(THU_CLOSE + timedelta(hours=1))  # the bot was down at 17:00
    digests = BlockingDigests(store, clock)
    scheduler = DigestScheduler(digests=digests, outbox=Outbox(storage.db, clock), clock=clock, max_concurrent=4)
    catching_up = asyncio.create_task(scheduler.catch_up())
    await digests.wait_started(4)
    digests.release.set()
    results = await catching_up
    assert len(results) == len(CHATS) and all(r.sent_late is not None for r in results)
    assert digests.most_at_once == 4
