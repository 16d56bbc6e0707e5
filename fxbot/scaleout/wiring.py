"""ScaleOut: what a process of a role other than `all` adds to the bot — its leases and the change feed.

`configure_role(...)` is called by the composition root (fxbot.app) once the services are built; `start()` and
`stop()` run inside the app's lifetime. Per role:
- front: publishes alert-rule, binding, managed-stop and digest-schedule changes (it holds none of them);
- worker: holds key partitions (PartitionKeeper); its stream pump streams only their keys, its alert
  engine holds only their chats' rules (WorkerRules); reloads what the fronts change;
- scheduler: campaigns for the `scheduler` lease; the leader runs the digest scheduler and the snooze ends,
  and re-reads the schedules when a front changes one;
- delivery: nothing more than the notifier (the outbox lease is the notifier's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.scaleout.change_feed import (
    ALERT_RULES,
    BINDINGS,
    DIGEST_SCHEDULES,
    MANAGED_STOPS,
    SNOOZES,
    ChangeFeed,
)
from fxbot.scaleout.cluster_status import ClusterStreamStatus
from fxbot.scaleout.leader import LeaderLease
from fxbot.scaleout.leases import LeaseStore
from fxbot.scaleout.partitions import PartitionKeeper
from fxbot.scaleout.roles import Role
from fxbot.scaleout.rule_owner import WorkerRules
from fxbot.scaleout.settings import ScaleOutSettings
from fxbot.scaleout.stops_feed import PublishingStopStore

if TYPE_CHECKING:
    from fxbot.scheduling.digest_times import DigestKind
    from fxbot.scheduling.schedule_store import DigestSchedule
    from fxbot.scheduling.scheduler import DigestScheduler
    from fxbot.services.container import Services
    from fxbot.storage.database import Database
    from fxbot.stream.pump import StreamPump
    from fxbot.stream.session import BoundChat

log = logging.getLogger(__name__)

STOP_PUBLISH_S = 2.0  # at an orderly stop, how long change notifications still under way may take


def default_worker_id() -> str:
    """host-pid-random: unique per process, readable in the leases table."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


class SchedulePublisher:
    """A front's DigestService listener: a saved or removed schedule is told to the scheduler leader."""

    def __init__(self, out: ScaleOut) -> None:
        self._out = out

    def schedule_saved(self, schedule: DigestSchedule) -> None:
        self._out.publish_soon(DIGEST_SCHEDULES, schedule.chat_id)

    def schedule_removed(self, chat_id: str, kind: DigestKind) -> None:
        self._out.publish_soon(DIGEST_SCHEDULES, chat_id)


@dataclass
class ScaleOut:
    """The leases and change feed of one process of a role other than `all`."""

    role: Role
    settings: ScaleOutSettings
    feed: ChangeFeed
    owner: str
    keeper: PartitionKeeper | None = None
    leader: LeaderLease | None = None
    rules: WorkerRules | None = None
    jobs: LeaderJobs | None = None
    status: ClusterStreamStatus | None = None
    subscriptions: list[tuple[str, Callable[[str], Awaitable[None]]]] = field(default_factory=list)
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    def bindings_may_have_changed(self) -> None:
        """A state-changing command succeeded here: the workers re-read the chat bindings at once."""
        self.publish_soon(BINDINGS)

    def publish_soon(self, channel: str, payload: str = "") -> None:
        """Notify from synchronous code (a task, awaited at stop)."""
        task = asyncio.create_task(self.feed.publish(channel, payload))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def start(self) -> None:
        """Listen to the channels of this role, then start the lease loop and the feed's handler loop."""
        for channel, handler in self.subscriptions:
            await self.feed.subscribe(channel, handler)
        self.tasks["changes"] = asyncio.create_task(self.feed.run(), name="fxbot-change-feed")
        if self.keeper is not None:
            self.tasks["leases"] = asyncio.create_task(self.keeper.run(), name="fxbot-partition-leases")
        if self.leader is not None:
            self.tasks["leader"] = asyncio.create_task(self.leader.run(), name="fxbot-leader-lease")
        if self.status is not None:
            self.tasks["status"] = asyncio.create_task(self.status.run(), name="fxbot-cluster-status")

    async def stop(self) -> None:
        """Release the leases (others take over at once), let the last notifications go out, stop listening."""
        for task in self.tasks.values():
            task.cancel()
        for task in self.tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        pending = list(self._pending)
        if pending:  # NOTIFYs under way hold a database connection: done (or given up) before the pool closes
            await asyncio.wait(pending, timeout=STOP_PUBLISH_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.feed.close()


def configure_role(role: Role, settings: ScaleOutSettings, *, db: Database, services: Services,
                   pump: StreamPump | None, clock: Callable[[], datetime],
                   scheduler: Callable[[], DigestScheduler] | None = None,
                   sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> ScaleOut:
    """Wire the role's leases and change notifications into the built services (see the module docstring)."""
    feed = ChangeFeed(db)
    owner = settings.worker_id or default_worker_id()
    out = ScaleOut(role=role, settings=settings, feed=feed, owner=owner)
    alerts = services.alerts

    async def publish_rules(rule_ids: Sequence[int]) -> None:
        for rule_id in rule_ids:
            await feed.publish(ALERT_RULES, str(rule_id))

    if role in (Role.FRONT, Role.SCHEDULER, Role.DELIVERY):
        alerts.holds_rules = False  # commands and snooze ends judge a rule once; its worker evaluates it
        alerts.rule_feed = publish_rules
    if role is Role.FRONT:
        out.status = ClusterStreamStatus(db, clock, partitions=settings.partitions, interval_s=settings.renew_s)
        services.health.set_stream_status_provider(out.status)  # /status: which worker streams each key
        if services.stops is not None:
            services.stops.store = PublishingStopStore(db, feed)
        services.digests.attach(SchedulePublisher(out))
        if services.snoozes is not None:
            async def snoozed() -> None:
                await feed.publish(SNOOZES)

            services.snoozes.on_snoozed = snoozed
    if role is Role.WORKER:
        assert pump is not None
        _configure_worker(out, settings, db=db, services=services, pump=pump, clock=clock, sleep=sleep)
        alerts.rule_feed = publish_rules  # an alert order cancelling its sibling rule, an expiry: others may hold it
    if role is Role.SCHEDULER:
        assert scheduler is not None
        _configure_leader(out, settings, db=db, services=services, clock=clock, make_scheduler=scheduler,
                          sleep=sleep)
    return out


def _configure_worker(out: ScaleOut, settings: ScaleOutSettings, *, db: Database, services: Services,
                      pump: StreamPump, clock: Callable[[], datetime],
                      sleep: Callable[[float], Awaitable[None]]) -> None:
    async def partitions_changed(held: frozenset[int]) -> None:
        pump.request_refresh()
        try:
            await _reload_stops(services)  # the managed stops of the keys held now are the ones judged here
        except Exception:
            log.exception("managed stops: reloading after the partitions changed failed")

    keeper = PartitionKeeper(LeaseStore(db, out.owner, clock), partitions=settings.partitions,
                             lease_s=settings.lease_s, renew_s=settings.renew_s, on_change=partitions_changed,
                             sleep=sleep)
    rules = WorkerRules(services.alerts, db, clock=clock, on_rules_changed=pump.rules_changed)
    pump.key_filter = keeper.holds_key
    if services.stops is not None:  # it moves the stops of the keys it holds, no other worker does
        services.stops.key_filter = keeper.holds_key

    async def plan_read(plan: dict[int, list[BoundChat]]) -> None:
        await rules.hold_chats(chat.chat_id for chats in plan.values() for chat in chats)

    async def bindings_changed(payload: str) -> None:
        pump.request_refresh()  # after a reconnect too (the alert_rules channel reloads the rules then)

    async def stops_changed(payload: str) -> None:
        await _reload_stops(services)

    pump.on_plan = plan_read
    if services.watchdog is not None:  # it watches the streams, keys and accounts this worker holds
        services.watchdog.key_filter = keeper.holds_key
        # a worker joining while others run is no restart of the bot: no restart notice then
        services.watchdog.quiet_restart_s = settings.lease_s + 2 * services.watchdog.settings.check_interval_s
    out.keeper, out.rules = keeper, rules
    out.subscriptions += [(ALERT_RULES, rules.reload), (BINDINGS, bindings_changed), (MANAGED_STOPS, stops_changed)]


async def _reload_stops(services: Services) -> None:
    if services.stops is not None:
        count = await services.stops.load()
        log.info("managed stops: reloaded (%d rules)", count)


class LeaderJobs:
    """What the scheduler leader runs while it leads: a fresh digest scheduler and the snooze ends."""

    def __init__(self, make_scheduler: Callable[[], DigestScheduler], services: Services) -> None:
        self._make_scheduler = make_scheduler
        self._services = services
        self.scheduler: DigestScheduler | None = None
        self._snoozes: asyncio.Task[None] | None = None

    async def start(self) -> None:
        digests = self._make_scheduler()
        caught_up = await digests.start()
        self.scheduler = digests
        log.info("scheduler leader: digests running (%d missed handled)", len(caught_up))
        if self._services.snoozes is not None:
            self._snoozes = asyncio.create_task(self._services.snoozes.run(), name="fxbot-snoozes")

    async def stop(self) -> None:
        snoozes, self._snoozes = self._snoozes, None
        if snoozes is not None:
            snoozes.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await snoozes
        digests, self.scheduler = self.scheduler, None
        if digests is not None:
            await digests.stop()

    async def snoozes_changed(self, payload: str) -> None:
        if self._snoozes is not None and self._services.snoozes is not None:
            self._services.snoozes.wake()

    async def schedules_changed(self, payload: str) -> None:
        if self.scheduler is not None:
            await self.scheduler.resync()


def _configure_leader(out: ScaleOut, settings: ScaleOutSettings, *, db: Database, services: Services,
                      clock: Callable[[], datetime], make_scheduler: Callable[[], DigestScheduler],
                      sleep: Callable[[float], Awaitable[None]]) -> None:
    jobs = LeaderJobs(make_scheduler, services)
    out.leader = LeaderLease(LeaseStore(db, out.owner, clock), lease_s=settings.lease_s, renew_s=settings.renew_s,
                             on_elected=jobs.start, on_deposed=jobs.stop, sleep=sleep)
    out.jobs = jobs
    out.subscriptions.append((DIGEST_SCHEDULES, jobs.schedules_changed))
    out.subscriptions.append((SNOOZES, jobs.snoozes_changed))  # a snooze set on a front: its end may be sooner
