"""DigestScheduler: APScheduler jobs (DigestTrigger) for the stored digest schedules; digests go to the notify outbox.

Lifecycle (the app calls these inside the running loop): `await scheduler.start()` loads every stored
schedule, adds one job per schedule under a stable id (`digest:{kind}:{chat_id}`,
replace_existing=True, explicit time zone), attaches itself to the DigestService so /digest changes
take effect at once, then catches up on digests missed while the bot was down. `await scheduler.stop()`
detaches and shuts APScheduler down. Schedules live in our own table (never an APScheduler job store).

Concurrency: runs of one schedule are serialised (a lock per schedule: a DST rerun, a catch-up and a
manual run never overlap); different schedules run side by side, at most `max_concurrent` digests being
built at a time (100 chats at 17:00 do not queue behind one another, nor all hit FxSocket at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from fxbot.chat.types import ChatKind
from fxbot.errors import FxbotError
from fxbot.notify.notification import Notification, Severity
from fxbot.scheduling.digest_times import LATE_LIMIT, DigestKind, catch_up, previous_slot, slot_day
from fxbot.scheduling.digest_trigger import DigestTrigger
from fxbot.scheduling.keyed_locks import KeyedLocks
from fxbot.scheduling.schedule_store import DigestSchedule, DigestScheduleStore, job_id
from fxbot.services.digests import DigestContent, ScheduleListener

log = logging.getLogger(__name__)

LATE_NOTICE = timedelta(minutes=10)  # a job that runs later than this after its slot says it is late
DIGEST_KIND = "digest"
DEFAULT_MAX_CONCURRENT = 8  # digests built at the same time (each reads FxSocket and renders a chart)


class DigestSource(Protocol):
    """What the scheduler needs of fxbot.services.digests.DigestService."""

    @property
    def store(self) -> DigestScheduleStore: ...

    def attach(self, listener: ScheduleListener | None) -> None: ...

    async def build(self, schedule: DigestSchedule, slot: datetime, *, late: bool = False) -> DigestContent: ...


class NotificationSink(Protocol):
    """Where digests go: the notify Outbox (`enqueue` persists; the notifier delivers)."""

    async def enqueue(self, notification: Notification, *, chat_kind: ChatKind | None = None) -> bool: ...


@dataclass(frozen=True, slots=True)
class CatchUpResult:
    """What start-up did about one schedule's missed digests."""

    chat_id: str
    kind: DigestKind
    sent_late: datetime | None
    skipped: int


def dedupe_key(schedule: DigestSchedule, slot: datetime) -> str:
    return f"digest:{schedule.kind}:{schedule.chat_id}:{slot.isoformat()}"[:200]


def digest_notification(schedule: DigestSchedule, slot: datetime, content: DigestContent,
                        created_at: datetime) -> Notification:
    """The notification of one digest (one per slot: its dedupe key is the slot)."""
    return Notification(
        chat_id=schedule.chat_id, severity=Severity.INFO, title=content.title, lines=content.lines,
        dedupe_key=dedupe_key(schedule, slot), kind=DIGEST_KIND, silent=True, created_at=created_at,
        thread_id=schedule.thread_id,
        image=None if content.image is None else content.image.png,
        image_name=None if content.image is None else content.image_name,
    )


class DigestScheduler:
    """Runs each stored digest schedule at its slots (DST rules: see digest_times)."""

    def __init__(self, *, digests: DigestSource, outbox: NotificationSink, clock: Callable[[], datetime],
                 scheduler: AsyncIOScheduler | None = None, max_concurrent: int = DEFAULT_MAX_CONCURRENT) -> None:
        if max_concurrent < 1:
            raise ValueError(f"max_concurrent must be at least 1, got {max_concurrent!r}")
        self._digests = digests
        self._outbox = outbox
        self._clock = clock
        self._scheduler = scheduler or AsyncIOScheduler(timezone="UTC")
        self._locks = KeyedLocks()  # one per schedule
        self._building = asyncio.Semaphore(max_concurrent)

    def __repr__(self) -> str:
        return f"DigestScheduler(jobs={len(self._scheduler.get_jobs())}, running={self._scheduler.running})"

    # --- lifecycle --------------------------------------------------------------------------------
    async def start(self, *, paused: bool = False, catch_up_missed: bool = True) -> list[CatchUpResult]:
        """Restore every schedule's job, start APScheduler on the running loop, then catch up."""
        for schedule in await self._digests.store.all():
            self.schedule_saved(schedule)
        self._scheduler.start(paused=paused)
        self._digests.attach(self)
        return await self.catch_up() if catch_up_missed else []

    async def stop(self) -> None:
        """Detach from the service and shut APScheduler down (running digests are not waited for)."""
        self._digests.attach(None)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn

    async def resync(self) -> int:
        """Re-read every stored schedule: add or replace their jobs, drop jobs whose schedule is gone (a /digest
        change made by another process, fxbot.scaleout). Returns how many schedules there are."""
        schedules = await self._digests.store.all()
        for schedule in schedules:
            self.schedule_saved(schedule)
        kept = {schedule.job_id for schedule in schedules}
        for job in self._scheduler.get_jobs():
            if job.id.startswith("digest:") and job.id not in kept:
                self._scheduler.remove_job(job.id)
        return len(schedules)

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    def trigger_for(self, chat_id: str, kind: DigestKind) -> DigestTrigger | None:
        job = self._scheduler.get_job(job_id(chat_id, kind))
        trigger = None if job is None else job.trigger
        return trigger if isinstance(trigger, DigestTrigger) else None

    def fire_soon(self, chat_id: str, kind: DigestKind) -> bool:
        """Have APScheduler run the job now (its next run then follows the trigger again); False if none."""
        job = self._scheduler.get_job(job_id(chat_id, kind))
        if job is None:
            return False
        job.modify(next_run_time=datetime.now(UTC))
        return True

    # --- ScheduleListener -------------------------------------------------------------------------
    def schedule_saved(self, schedule: DigestSchedule) -> None:
        trigger = DigestTrigger(schedule.rule)  # not CronTrigger: see digest_trigger for why
        self._scheduler.add_job(
            self.run_job, trigger=trigger, args=(schedule.chat_id, schedule.kind), id=schedule.job_id,
            name=f"{schedule.kind} digest for {schedule.chat_id}", replace_existing=True,
            misfire_grace_time=int(LATE_LIMIT.total_seconds()), coalesce=True, max_instances=1,
        )

    def schedule_removed(self, chat_id: str, kind: DigestKind) -> None:
        if self._scheduler.get_job(job_id(chat_id, kind)) is not None:
            self._scheduler.remove_job(job_id(chat_id, kind))

    # --- running ----------------------------------------------------------------------------------
    async def run_job(self, chat_id: str, kind: DigestKind) -> bool:
        """The scheduled job: send the digest of the latest slot unless it was already sent (DST reruns).

        "Late" is judged by when the job fired, not by how long it waited for its turn to be built."""
        fired = self._clock()
        try:
            async with self._locks.hold(job_id(chat_id, kind)):
                schedule = await self._digests.store.get(chat_id, kind)
                if schedule is None:
                    return False
                slot = previous_slot(schedule.rule, fired)
                if schedule.last_slot is not None and schedule.last_slot >= slot:
                    log.info("digest %s: slot %s already done (a repeated wall time)", schedule.job_id, slot)
                    return False
                if slot < schedule.created_at:
                    return False
                return await self._send(schedule, slot, late=fired - slot > LATE_NOTICE)
        except Exception:
            log.exception("digest %s for %s failed", kind, chat_id)
            return False

    async def catch_up(self) -> list[CatchUpResult]:
        """Digests missed while the bot was down: the latest sent once, late, when < 6 h late; the others
        skipped and noted in the next digest."""
        async def one(schedule: DigestSchedule) -> CatchUpResult | None:
            try:
                async with self._locks.hold(schedule.job_id):
                    return await self._catch_up_one(schedule)
            except Exception:
                log.exception("catching up the %s digest of %s failed", schedule.kind, schedule.chat_id)
                return None

        results = await asyncio.gather(*(one(s) for s in await self._digests.store.all()))
        return [r for r in results if r is not None and (r.sent_late is not None or r.skipped)]

    async def _catch_up_one(self, schedule: DigestSchedule) -> CatchUpResult:
        now = self._clock()
        decision = catch_up(schedule.rule, last_slot=schedule.last_slot, enabled_at=schedule.created_at, now=now)
        if decision.skipped:
            note = _missed_note(schedule, decision.skipped)
            await self._digests.store.mark_skipped(schedule.chat_id, schedule.kind, slot=decision.skipped[-1],
                                                   note=note)
            log.warning("digest %s: %d missed while the bot was down, skipped", schedule.job_id,
                        len(decision.skipped))
        sent = None
        if decision.send_late is not None:
            fresh = await self._digests.store.get(schedule.chat_id, schedule.kind)
            if fresh is not None and await self._send(fresh, decision.send_late, late=True):
                sent = decision.send_late
        return CatchUpResult(schedule.chat_id, schedule.kind, sent, len(decision.skipped))

    async def send_now(self, chat_id: str, kind: DigestKind) -> bool:
        """Send the digest of the latest slot now through the outbox (tests, admin tooling)."""
        async with self._locks.hold(job_id(chat_id, kind)):
            schedule = await self._digests.store.get(chat_id, kind)
            if schedule is None:
                return False
            return await self._send(schedule, previous_slot(schedule.rule, self._clock()), late=False)

    async def _send(self, schedule: DigestSchedule, slot: datetime, *, late: bool) -> bool:
        async with self._building:  # bounded: at most max_concurrent digests are being built
            try:
                content = await self._digests.build(schedule, slot, late=late)
            except FxbotError as error:
                log.warning("digest %s for slot %s not built: %s", schedule.job_id, slot, error)
                return False
            now = self._clock()
            notification = digest_notification(schedule, slot, content, now)
            await self._outbox.enqueue(notification, chat_kind=schedule.chat_kind)
            await self._digests.store.mark_run(schedule.chat_id, schedule.kind, slot=slot, ran_at=now,
                                               equity=content.equity)
        return True


def _missed_note(schedule: DigestSchedule, skipped: tuple[datetime, ...]) -> str:
    days = [f"{slot_day(s, schedule.rule):%a %Y-%m-%d}" for s in skipped]
    count = len(skipped) + _count_in(schedule.missed_note)
    shown = days[-1] if len(days) == 1 else f"{days[0]} to {days[-1]}"
    noun = "digest was" if count == 1 else "digests were"
    return f"{count} {noun} skipped while the bot was down ({shown}): see /pnl for those days"


def _count_in(note: str | None) -> int:
    if not note:
        return 0
    head = note.split(" ", 1)[0]
    return int(head) if head.isdigit() else 0
