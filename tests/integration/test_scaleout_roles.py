"""`build(settings, role=…)`: each role runs its own part of the bot on a shared PostgreSQL database; roles other
than `all` refuse SQLite; a worker takes every partition when alone and a scheduler process leads, both give
their leases up when stopped."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from fxbot.alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.app import App, build
from fxbot.chat.types import ChatKind, ChatRef, Reply, ReplyKind
from fxbot.cli import main
from fxbot.config import ConfigError, parse_settings
from fxbot.domain.access import Scope
from fxbot.domain.broker import Side
from fxbot.management.rules import ManagedRule, RuleKind
from fxbot.scaleout.leases import LeaseStore
from fxbot.scaleout.roles import Role
from fxbot.storage.database import Database
from tests.waiting import eventually

ENV = {"FXBOT_SECRET_KEY": Fernet.generate_key().decode()}


def _settings(tmp_path: Path, url: str | None, **scaleout: Any) -> Any:
    raw: dict[str, Any] = {
        "database": {"path": str(tmp_path / "fxbot.db"), **({"url": url} if url else {})},
        "fxsocket": {"base_url": "http://127.0.0.1:9", "stream_url": "ws://127.0.0.1:9/v1/stream"},
        "watchdog": {"enabled": False},
        "scaleout": {"lease_s": 2, "renew_s": 0.5, **scaleout},
    }
    return parse_settings(raw, {})


async def test_roles_other_than_all_refuse_sqlite_with_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        await build(_settings(tmp_path, None), env=ENV, role=Role.WORKER)
    assert refused.value.problems == [
        "fxbot run --role worker: several processes need a database they all share — set database.url to a "
        "PostgreSQL URL (postgresql://…); several processes on one SQLite file are not supported (use --role all, "
        "the default)"]
    app = await build(_settings(tmp_path, None), env=ENV)  # the default role on SQLite: as always
    try:
        assert app.role is Role.ALL and app.scaleout is None and app.pump is not None and app.notifier is not None
    finally:
        await app.close()


@pytest.mark.parametrize("role", [Role.FRONT, Role.DELIVERY, Role.WORKER, Role.SCHEDULER])
async def test_each_role_runs_its_own_part(tmp_path: Path, postgres_url: str, role: Role) -> None:
    app = await build(_settings(tmp_path, postgres_url), env=ENV, role=role)
    try:
        assert app.scaleout is not None
        assert (app.pump is not None) == (role is Role.WORKER)
        assert (app.notifier is not None) == (role is Role.DELIVERY)
        assert app.scheduler is None  # the scheduler process runs its own under the leader lease
        assert (app.scaleout.keeper is not None) == (role is Role.WORKER)
        assert (app.scaleout.leader is not None) == (role is Role.SCHEDULER)
        assert app.services.alerts.holds_rules == (role is Role.WORKER)
        assert (app.webhooks is None) or role is Role.FRONT
        if role is Role.WORKER:  # an alert order's result goes through the outbox: the worker sends nothing
            await app.post_to_chat(ChatRef("telegram:-100123", ChatKind.GROUP, "telegram", thread_id="9"),
                                   Reply(title="Alert #3 order", text=("bought 0.10 EURUSD",), kind=ReplyKind.OK))
            [item] = await app.services.alerts.outbox.pending()
            assert (item.notification.chat_id, item.notification.title, item.notification.lines,
                    item.notification.thread_id) == ("telegram:-100123", "Alert #3 order", ("bought 0.10 EURUSD",), "9")
    finally:
        await app.close()


async def _running(app: App) -> asyncio.Task[None]:
    return asyncio.create_task(app.run(install_signal_handlers=False))


async def _leases(db: Database) -> dict[str, str]:
    rows = await LeaseStore(db, "reader", lambda: datetime.now(UTC)).list("")
    return {lease.name: lease.owner for lease in rows}


async def test_a_lone_worker_holds_every_partition_and_a_scheduler_leads_until_they_stop(
        tmp_path: Path, postgres_url: str) -> None:
    worker = await build(_settings(tmp_path, postgres_url, worker_id="worker-1"), env=ENV, role=Role.WORKER)
    scheduler = await build(_settings(tmp_path, postgres_url, worker_id="sched-1"), env=ENV, role=Role.SCHEDULER)
    assert worker.scaleout is not None and worker.scaleout.keeper is not None
    assert scheduler.scaleout is not None and scheduler.scaleout.leader is not None
    keeper, leader = worker.scaleout.keeper, scheduler.scaleout.leader
    jobs = scheduler.scaleout.jobs
    observer = scheduler.storage.db
    tasks = [await _running(worker), await _running(scheduler)]
    try:
        await eventually(lambda: len(keeper.held) == keeper.partitions, "the worker holding every partition")
        await eventually(lambda: leader.leading and jobs is not None and jobs.scheduler is not None,
                         "the scheduler leading")
        leases = await _leases(observer)
        assert leases["scheduler"] == "sched-1" and leases["worker:worker-1"] == "worker-1"
        assert sum(1 for owner in leases.values() if owner == "worker-1") == keeper.partitions + 1
        worker.request_shutdown()
        await tasks[0]
        assert set((await _leases(observer)).values()) == {"sched-1"}  # an orderly stop hands everything over
    finally:
        scheduler.request_shutdown()
        worker.request_shutdown()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_the_api_budget_is_split_by_role() -> None:
    settings = parse_settings({"scaleout": {"api_budget": 60}}, {}).scaleout
    assert {role.value: settings.api_budget_for(role.value) for role in Role} == {
        "all": 60, "front": 18, "delivery": 60, "worker": 30, "scheduler": 12}
    with pytest.raises(ConfigError, match="must leave a part of the budget for the scheduler"):
        parse_settings({"scaleout": {"worker_api_share": 0.7, "front_api_share": 0.3}}, {})
    with pytest.raises(ConfigError, match="renew_s"):
        parse_settings({"scaleout": {"lease_s": 2, "renew_s": 1.5}}, {})


async def test_a_fronts_bindings_and_digest_changes_reach_the_worker_and_the_scheduler_leader(
        tmp_path: Path, postgres_url: str) -> None:
    front = await build(_settings(tmp_path, postgres_url, worker_id="front"), env=ENV, role=Role.FRONT)
    worker = await build(_settings(tmp_path, postgres_url, worker_id="w1"), env=ENV, role=Role.WORKER)
    scheduler = await build(_settings(tmp_path, postgres_url, worker_id="sched"), env=ENV, role=Role.SCHEDULER)
    apps = (front, worker, scheduler)
    assert front.scaleout is not None and worker.scaleout is not None and scheduler.scaleout is not None
    keeper, rules, jobs = worker.scaleout.keeper, worker.scaleout.rules, scheduler.scaleout.jobs
    assert keeper is not None and rules is not None and jobs is not None
    tasks = [await _running(app) for app in apps]
    chat = ChatRef("telegram:-100123", ChatKind.GROUP, "telegram")
    try:
        await eventually(lambda: len(keeper.held) == keeper.partitions and jobs.scheduler is not None,
                         "the worker holding every partition and the scheduler leading")
        key = await front.storage.keys.add("telegram:42", "desk", "sk_live_" + "a" * 32, Scope.TRADE)
        await front.storage.bindings.bind(chat.id, key.id, "telegram:42", account_id="acc_1")
        front.scaleout.bindings_may_have_changed()  # what a successful /link or /use does on the front
        await eventually(lambda: chat.id in rules.chats, "the worker serving the newly bound chat")
        status = front.scaleout.status
        assert status is not None  # /status on the front: which worker streams the key

        async def told_on_front() -> bool:
            health = await status.refresh()
            return health.connected and "key 'desk': streamed by worker w1" in (health.detail or "")

        await eventually(told_on_front, "the front's /status naming the worker")

        await front.services.digests.enable(chat, "telegram:42", "daily", time(17, 0), "UTC")
        digests = jobs.scheduler
        assert digests is not None
        await eventually(lambda: digests.job_ids() == [f"digest:daily:{chat.id}"], "the digest job on the leader")
        await front.services.digests.disable(chat.id)
        await eventually(lambda: digests.job_ids() == [], "the digest job gone on the leader")
    finally:
        for app in apps:
            app.request_shutdown()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_managed_stops_set_on_the_front_are_run_by_the_worker(tmp_path: Path, postgres_url: str) -> None:
    front = await build(_settings(tmp_path, postgres_url, worker_id="front"), env=ENV, role=Role.FRONT)
    worker = await build(_settings(tmp_path, postgres_url, worker_id="w1"), env=ENV, role=Role.WORKER)
    front_stops, worker_stops = front.services.stops, worker.services.stops
    assert front_stops is not None and worker_stops is not None
    tasks = [await _running(front), await _running(worker)]
    try:
        await eventually(lambda: worker.scaleout is not None and "changes" in worker.scaleout.tasks,
                         "the worker listening")
        key = await front.storage.keys.add("telegram:42", "desk", "sk_live_" + "a" * 32, Scope.TRADE)
        rule = ManagedRule(id=0, chat_id="telegram:-100123", owner_id="telegram:42", private_chat=False,
                           key_id=key.id, account_id="acc_1", position_id="pos_1", symbol="EURUSD", side=Side.BUY,
                           volume=0.1, entry_points=110_000, kind=RuleKind.TRAIL, created_at=datetime.now(UTC),
                           distance_points=200, step_points=10)
        await front_stops.set_rule(rule)  # /trail on the front
        await eventually(lambda: len(worker_stops.rules_of("acc_1", "pos_1")) == 1, "the worker running the stop")
        await front_stops.remove("acc_1", "pos_1")  # /trail off
        await eventually(lambda: worker_stops.rules_of("acc_1", "pos_1") == [], "the worker dropping the stop")
    finally:
        front.request_shutdown()
        worker.request_shutdown()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_snooze_set_on_the_front_ends_on_time_on_the_scheduler_leader(
        tmp_path: Path, postgres_url: str) -> None:
    front = await build(_settings(tmp_path, postgres_url, worker_id="front"), env=ENV, role=Role.FRONT)
    scheduler = await build(_settings(tmp_path, postgres_url, worker_id="sched"), env=ENV, role=Role.SCHEDULER)
    assert front.services.snoozes is not None and scheduler.scaleout is not None
    jobs = scheduler.scaleout.jobs
    assert jobs is not None
    rule = await front.services.alerts.repository.add(PriceRule(
        id=0, chat_id="telegram:-100123", owner_id="telegram:42", account_id="acc_1", created_at=datetime.now(UTC),
        symbol="EURUSD", digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=110_000,
        state=FireState(last_points=109_000)))
    tasks = [await _running(front), await _running(scheduler)]
    try:
        await eventually(lambda: jobs.scheduler is not None, "the scheduler leading (and its snooze loop running)")
        await asyncio.sleep(0)  # the leader's snooze loop is waiting now (nothing snoozed: up to 5 minutes)
        await front.services.snoozes.snooze("telegram:-100123", rule.id, timedelta(seconds=1))

        async def resumed() -> bool:
            stored = await front.services.alerts.repository.get(rule.id)
            return stored is not None and not stored.state.paused

        await eventually(resumed, "the snooze ended by the leader, told of it by the front")
    finally:
        front.request_shutdown()
        scheduler.request_shutdown()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_fxbot_run_documents_the_roles_and_refuses_a_role_on_sqlite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["run", "--help"]) == 0
    shown = capsys.readouterr().out
    assert "--role {all,front,delivery,worker,scheduler}" in shown
    assert all(role.value in shown for role in Role) and "docs/scaling-out.md" in shown
    config = tmp_path / "fxbot.yaml"
    config.write_text(f"database:\n  path: {tmp_path / 'fxbot.db'}\n", encoding="utf-8")
    monkeypatch.setenv("FXBOT_SECRET_KEY", ENV["FXBOT_SECRET_KEY"])
    assert main(["run", "--config", str(config), "--role", "worker"]) == 1
    assert "several processes on one SQLite file are not supported" in capsys.readouterr().err
    assert main(["run", "--config", str(config), "--role", "boss"]) == 2
