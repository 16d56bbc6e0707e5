"""Alert-rule changes made by a front process reach the worker that owns the rule's chat, through the change feed
(PostgreSQL NOTIFY between two connections; on SQLite one in-process connection): add, pause, resume, delete;
a worker holds only the rules of its chats and takes on or drops a chat's rules as its bindings change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from fxbot.alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.domain.access import Scope
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.scaleout.change_feed import ALERT_RULES, RECONNECT, ChangeFeed
from fxbot.scaleout.cluster_status import ClusterStreamStatus
from fxbot.scaleout.leases import LeaseStore
from fxbot.scaleout.partitions import WORKER_PREFIX, partition_name, partition_of
from fxbot.scaleout.rule_owner import WorkerRules
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from tests.waiting import eventually

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
OURS, OTHERS, ACC = "telegram:-100123", "telegram:-100999", "acc_1"


@pytest.fixture
async def stores(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Storage, Storage]]:
    """The front's and the worker's storage: two connections on PostgreSQL, one on SQLite (where notifications
    stay inside one connection's process)."""
    url = database_url if database_url.startswith("postgresql://") else None
    path = tmp_path / "fxbot.db" if url is None else tmp_path / "key-dir" / "fxbot.db"
    front = await Storage.open(path, {}, url=url)
    worker = front if url is None else await Storage.open(path, {}, url=url)
    try:
        yield front, worker
    finally:
        if worker is not front:
            await worker.close()
        await front.close()


def _service(storage: Storage) -> AlertService:
    return AlertService(storage=storage, brokers=cast(Any, None), outbox=Outbox(storage.db),
                        preferences=NotificationPreferences(storage.db), clock=lambda: T0)


def _rule(chat_id: str, level: int) -> PriceRule:
    return PriceRule(id=0, chat_id=chat_id, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol="EURUSD",
                     digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=level,
                     state=FireState(last_points=108_500))


async def test_a_fronts_rule_changes_reach_the_owning_worker(stores: tuple[Storage, Storage]) -> None:
    front_storage, worker_storage = stores
    front, worker = _service(front_storage), _service(worker_storage)
    front_feed, worker_feed = ChangeFeed(front_storage.db), ChangeFeed(worker_storage.db)
    front.holds_rules = False

    async def publish(rule_ids: Any) -> None:
        for rule_id in rule_ids:
            await front_feed.publish(ALERT_RULES, str(rule_id))

    front.rule_feed = publish
    resubscribed: list[int] = []

    async def resubscribe() -> None:
        resubscribed.append(1)

    rules = WorkerRules(worker, worker_storage.db, clock=lambda: T0, on_rules_changed=resubscribe)
    kept = await worker.repository.add(_rule(OURS, 109_000))
    await worker_storage.db.execute("INSERT INTO alert_threads (rule_id, thread_id) VALUES (?, ?)", (kept.id, "7"))
    foreign = await worker.repository.add(_rule(OTHERS, 109_100))
    assert await rules.hold_chats([OURS]) == (1, 0)  # only the rules of the chats its keys serve
    assert worker.engine.get(kept.id) is not None and worker.engine.get(foreign.id) is None
    await worker_feed.subscribe(ALERT_RULES, rules.reload)
    handler = asyncio.create_task(worker_feed.run())
    try:
        added = await front.repository.add(_rule(OURS, 109_200))  # /alert on the front (its REST check aside)
        await front.changed(added.id)
        await eventually(lambda: worker.engine.get(added.id) is not None, "the new rule on the worker")

        await front.pause(OURS, added.id)
        assert front.engine.get(added.id) is None  # the front keeps no rule in memory

        def paused() -> bool:
            live = worker.engine.get(added.id)
            return live is not None and live.state.paused

        await eventually(paused, "the pause on the worker")
        await front.resume(OURS, added.id)
        await eventually(lambda: not paused() and worker.engine.get(added.id) is not None, "the resume")
        await front.delete(OURS, added.id)
        await eventually(lambda: worker.engine.get(added.id) is None, "the delete on the worker")

        other = await front.repository.add(_rule(OTHERS, 109_300))
        reloads = rules.reloads
        await front.changed(other.id)  # another worker's chat: this one does not take it
        await eventually(lambda: rules.reloads > reloads, "the notification of the foreign rule")
        assert worker.engine.get(other.id) is None
    finally:
        handler.cancel()
        await worker_feed.close()
    assert resubscribed  # every change re-subscribed the streams

    # notifications lost during a database outage: everything of our chats is read again
    await front.repository.set_paused(kept.id, True, OURS)
    await rules.reload(RECONNECT)
    live = worker.engine.get(kept.id)
    assert live is not None and live.state.paused
    # the chat is bound elsewhere now (its key moved to another worker's partition): its rules are dropped
    assert await rules.hold_chats([]) == (0, 1)
    assert len(worker.engine) == 0


async def test_a_worker_keeps_the_thread_of_the_rules_it_takes_on(stores: tuple[Storage, Storage]) -> None:
    _, worker_storage = stores
    worker = _service(worker_storage)
    rule = await worker.repository.add(_rule(OURS, 109_000))
    await worker_storage.db.execute("INSERT INTO alert_threads (rule_id, thread_id) VALUES (?, ?)", (rule.id, "42"))
    rules = WorkerRules(worker, worker_storage.db, clock=lambda: T0)
    await rules.hold_chats([OURS])
    firings = worker.engine.on_quote(ACC, "EURUSD", 1.0905, 1.0906, T0)
    firings += worker.engine.on_quote(ACC, "EURUSD", 1.0910, 1.0911, T0)
    assert [f.rule_id for f in firings] == [rule.id]
    assert firings[0].to_notification(thread_id=None).chat_id == OURS
    await worker.deliver(firings)
    pending = await worker.outbox.pending()
    assert [n.thread_id for n in pending] == ["42"]


async def test_after_the_listening_connection_drops_the_worker_reads_every_rule_again(
        postgres_url: str, tmp_path: Path) -> None:
    """A change made while the worker's LISTEN connection was down is not notified: the reconnect reloads all."""
    worker_storage = await Storage.open(tmp_path / "fxbot.db", {}, url=postgres_url)
    admin = await Storage.open(tmp_path / "fxbot.db", {}, url=postgres_url)
    worker = _service(worker_storage)
    feed = ChangeFeed(worker_storage.db)
    rules = WorkerRules(worker, worker_storage.db, clock=lambda: T0)
    handler: asyncio.Task[None] | None = None
    try:
        rule = await worker.repository.add(_rule(OURS, 109_000))
        await rules.hold_chats([OURS])
        await feed.subscribe(ALERT_RULES, rules.reload)
        handler = asyncio.create_task(feed.run())
        await worker.repository.set_paused(rule.id, True, OURS)  # changed without a notification
        received = feed.received
        await admin.db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                               " WHERE application_name = 'fxbot listen' AND pid <> pg_backend_pid()")
        await eventually(lambda: feed.received > received, "the reconnect told to the worker")

        def paused() -> bool:
            live = worker.engine.get(rule.id)
            return live is not None and live.state.paused

        await eventually(paused, "the change made meanwhile read again")
    finally:
        if handler is not None:
            handler.cancel()
        await feed.close()
        await admin.close()
        await worker_storage.close()


class _FailsOnce:
    """The worker's database connection failing its first read of rules (a dropped connection)."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.failed = False

    async def fetch_all(self, sql: str, params: Any = ()) -> Any:
        if not self.failed and "FROM alert_rules" in sql:
            self.failed = True
            raise ConnectionResetError("the connection to the database was lost")
        return await self._db.fetch_all(sql, params)

    async def fetch_value(self, sql: str, params: Any = ()) -> Any:
        return await self._db.fetch_value(sql, params)


async def test_rules_whose_read_failed_are_read_at_the_next_refresh(stores: tuple[Storage, Storage]) -> None:
    _, worker_storage = stores
    worker = _service(worker_storage)
    rule = await worker.repository.add(_rule(OURS, 109_000))
    flaky = _FailsOnce(worker_storage.db)
    rules = WorkerRules(worker, cast(Any, flaky), clock=lambda: T0)
    with pytest.raises(ConnectionResetError):
        await rules.hold_chats([OURS])
    assert rules.chats == frozenset() and worker.engine.get(rule.id) is None
    assert await rules.hold_chats([OURS]) == (1, 0)  # the pump's next refresh asks again
    assert worker.engine.get(rule.id) is not None


async def test_a_chat_that_moved_to_a_new_id_has_its_rules_served_under_the_new_one(
        stores: tuple[Storage, Storage]) -> None:
    _, worker_storage = stores
    worker = _service(worker_storage)
    rule = await worker.repository.add(_rule(OURS, 109_000))
    rules = WorkerRules(worker, worker_storage.db, clock=lambda: T0)
    await rules.hold_chats([OURS])
    moved = "telegram:-100777"  # a Telegram group became a supergroup: its rows moved to the new chat id
    await worker_storage.db.execute("UPDATE alert_rules SET chat_id = ? WHERE chat_id = ?", (moved, OURS))
    assert await rules.hold_chats([moved]) == (1, 1)  # the copy under the old id goes, the moved rule comes
    live = worker.engine.get(rule.id)
    assert live is not None and live.chat_id == moved and len(worker.engine) == 1


async def test_the_fronts_status_names_the_worker_streaming_each_key(stores: tuple[Storage, Storage]) -> None:
    front_storage, _ = stores
    key = await front_storage.keys.add("telegram:42", "desk", "sk_live_" + "b" * 32, Scope.TRADE)
    await front_storage.bindings.bind(OURS, key.id, "telegram:42")
    now = datetime.now(UTC)
    status = ClusterStreamStatus(front_storage.db, lambda: now, partitions=32, interval_s=1.0)
    orphan = await status.refresh()
    assert not orphan.connected and "key 'desk': no live worker holds it" in (orphan.detail or "")
    worker = LeaseStore(front_storage.db, "w1", lambda: now)
    await worker.claim(WORKER_PREFIX + "w1", timedelta(seconds=30))
    await worker.claim(partition_name(partition_of(key.id, 32)), timedelta(seconds=30))
    served = await status.refresh()
    assert served.connected and served.detail == (
        "1 live worker(s) hold 1 of 32 partitions; key 'desk': streamed by worker w1")
    assert status.stream_health() is served


async def test_a_rule_already_watched_is_not_loaded_twice(stores: tuple[Storage, Storage]) -> None:
    _, worker_storage = stores
    worker = _service(worker_storage)
    rules = WorkerRules(worker, worker_storage.db, clock=lambda: T0)
    await rules.hold_chats([OTHERS])
    made_here = await worker.repository.add(_rule(OURS, 109_000))  # an alert order's /alert run on this worker
    worker.engine.add(made_here)
    assert await rules.hold_chats([OTHERS, OURS]) == (0, 0)  # its chat's binding arrives afterwards
    assert worker.engine.get(made_here.id) is not None and len(worker.engine) == 1
