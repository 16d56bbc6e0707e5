"""The notifier task: takes pending outbox items, coalesces them per chat, paces and delivers them."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from fxbot.notify.actions import TokenMinter
from fxbot.notify.blocked import BlockedChats
from fxbot.notify.claims import DEFAULT_MAX_HELD, HeldClaims
from fxbot.notify.composer import DEFAULT_MAX_PARTS, MIN_MESSAGE_LIMIT
from fxbot.notify.destination import Destinations
from fxbot.notify.failures import DeliveryObserver
from fxbot.notify.housekeeping import purge_at_start, wake_or_sleep, warn_untargeted
from fxbot.notify.inflight import InFlight
from fxbot.notify.lease import DEFAULT_LEASE, OutboxLease
from fxbot.notify.outbox import Outbox
from fxbot.notify.pacing import MonotonicClock, Pacer, PacingLimits
from fxbot.notify.sending import PartSender
from fxbot.notify.targets import DeliveryTarget
from fxbot.notify.wakeups import LoopWakeups

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

_LOOP_ERROR_DELAY_S = 1.0

__all__ = ["DEFAULT_MAX_HELD", "DeliveryObserver", "Notifier"]


class Notifier:
    """Delivers the outbox: per chat, what arrives within `coalesce_s` becomes one message.

    Critical items skip the coalescing window and go first, but still respect the platform limits
    (`limits`, per platform; see PacingLimits). A target's `DeliveryRetryAfter` pauses that chat
    (or platform) and new items merge into the next message; `DeliveryForbidden` blocks the chat
    (`blocked`, persisted: it outlives a restart), marks its pending items undeliverable and stops
    sending there until `unblock(chat_id)` (its adapter saw the chat reachable again); other
    exceptions are retried with exponential backoff, up to `max_attempts` per item (critical
    items: forever).

    Items are claimed under a lease (fxbot.notify.lease: `lease_s`, renewed every `poll_s` or a
    quarter of `lease_s`, whichever is shorter), so several notifiers on one database (several
    delivery processes) never hold the same item, and one chat is served by one of them at a time;
    everything claimable (up to `max_held`) is claimed before the next dispatch, so a backlog coalesces
    per chat. It
    wakes on this outbox's enqueues in-process, on every committed enqueue through the database
    (`listen`, other processes' too), and polls at each renewal as a fallback (a missed wake-up only
    delays). A stop releases what it holds; a stall past the lease drops what may have been taken.
    At most `max_held` items are held at once: a larger backlog (a start's storm of expiry notices) is
    claimed in id order as what is held goes out, so memory stays bounded by `max_held` rendered items
    and one chat's backlog goes out in order, at most `max_held` items a round; the critical items of a
    backlog that waits unclaimed are claimed ahead of it (up to `claim_batch` beyond `max_held`).

    Delivery is at least once, and exactly once except in one window: an item is marked sent by
    one autocommitted write started as soon as the target's `send` returned, and a stop waits for
    that write. A crash between `send` returning and that write committing (or a send whose
    outcome is unknown: a timeout, a connection lost mid-request) delivers the item again, once,
    by whichever notifier claims it after the dead one's lease lapsed (within `lease_s`).

    Claiming into memory: fxbot.notify.claims; sending one message and settling its outcome: fxbot.notify.sending.
    """

    def __init__(
        self,
        outbox: Outbox,
        targets: Mapping[str, DeliveryTarget],
        *,
        clock: MonotonicClock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        coalesce_s: float = 1.0,
        limits: Mapping[str, PacingLimits] | None = None,
        max_parts: int = DEFAULT_MAX_PARTS,
        max_attempts: int = 5,
        send_timeout_s: float = 30.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        load_batch_s: float = 0.002,
        pacer: Pacer | None = None,
        blocked: BlockedChats | None = None,
        observer: DeliveryObserver | None = None,
        buttons: TokenMinter | None = None,
        owner: str | None = None,
        lease_s: float = DEFAULT_LEASE.total_seconds(),
        poll_s: float = 5.0,
        claim_batch: int = 1000,
        max_held: int = DEFAULT_MAX_HELD,
        lease_sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not math.isfinite(coalesce_s) or coalesce_s < 0:
            raise ValueError(f"coalesce_s must be >= 0, got {coalesce_s!r}")
        if max_attempts < 1 or max_parts < 1:
            raise ValueError("max_attempts and max_parts must be at least 1")
        if send_timeout_s <= 0 or backoff_s <= 0 or max_backoff_s < backoff_s:
            raise ValueError("send_timeout_s and backoff_s must be positive, max_backoff_s >= backoff_s")
        if not (math.isfinite(lease_s) and lease_s > 0 and math.isfinite(poll_s) and poll_s > 0) or claim_batch < 1:
            raise ValueError("lease_s and poll_s must be positive, claim_batch at least 1")
        if max_held < 1:
            raise ValueError(f"max_held must be at least 1, got {max_held!r}")
        for platform, target in targets.items():
            if target.message_limit is not None and target.message_limit < MIN_MESSAGE_LIMIT:
                raise ValueError(f"target {platform!r}: message_limit must be None or >= {MIN_MESSAGE_LIMIT}")
        self._outbox = outbox
        self._targets = dict(targets)
        self._clock = clock
        self._sleep = sleep
        self._coalesce_s = coalesce_s
        self._pacer = pacer if pacer is not None else Pacer(clock, limits)
        self._max_parts = max_parts
        self._buttons = buttons  # None: notifications go out without their action buttons
        self._destinations = Destinations()
        self._blocked = blocked if blocked is not None else BlockedChats(outbox.database)
        self._in_flight = InFlight()
        self._wake_event = asyncio.Event()
        self._outbox_changed = True
        self._idle = asyncio.Event()
        self._lease = OutboxLease(outbox, owner, timedelta(seconds=lease_s))
        self._tick_s = min(poll_s, lease_s / 4)
        self._claims = HeldClaims(self._lease, self._targets, self._blocked, lambda: self._destinations, clock=clock,
                                  claim_batch=claim_batch, max_held=max_held, load_batch_s=load_batch_s)
        self._sender = PartSender(
            self._lease, self._pacer, self._in_flight, self._blocked, lambda: self._destinations, clock=clock,
            observer=observer, buttons=buttons, send_timeout_s=send_timeout_s, backoff_s=backoff_s,
            max_backoff_s=max_backoff_s, max_attempts=max_attempts, delivered=self._count_delivered,
            finished=self._send_finished)
        self._lease_sleep = lease_sleep  # the real-time wait between renewals (tests drive it)
        self._looping = False
        self._run_active = False
        self._loop_lock = asyncio.Lock()
        self.messages_sent = 0
        self.items_delivered = 0
        outbox.add_listener(self.wake)

    def __repr__(self) -> str:
        pending = self._destinations.pending()
        return f"Notifier(platforms={sorted(self._targets)!r}, pending={pending}, owner={self._lease.owner!r})"

    # -- public API -------------------------------------------------------------------------

    def wake(self) -> None:
        """Something was enqueued: look at the outbox now (cheap, safe to call often)."""
        self._outbox_changed = True
        self._idle.clear()
        self._wake_event.set()

    async def unblock(self, chat_id: str) -> None:
        """The chat is reachable again (someone wrote there, the bot was re-added): deliver there again.

        Cheap when the chat is not blocked, so adapters may call it for every incoming message.
        Items that arrived while it was blocked stay undeliverable; new ones are sent.
        """
        if await self._blocked.unblock(chat_id):
            logger.info("notifier: %s is reachable again; notifications are sent there again", chat_id)

    @property
    def blocked_chats(self) -> frozenset[str]:
        """Chats that refuse the bot (loaded from the database when the notifier first runs)."""
        return self._blocked.chats

    async def move_chat(self, old_chat_id: str, new_chat_id: str) -> None:
        """Follow a chat that changed id (a Telegram group became a supergroup), after storage moved its rows.

        Items waiting in memory, even those being sent right now, continue under the new id.
        """
        if old_chat_id == new_chat_id:
            return
        self._blocked.moved(old_chat_id, new_chat_id)
        self._in_flight.move_chat(old_chat_id, new_chat_id)
        self._destinations.move_chat(old_chat_id, new_chat_id)
        self.wake()

    @property
    def items_held(self) -> int:
        """Outbox items held in memory (claimed, waiting or being sent): at most `max_held` (plus one claim batch of
        critical items claimed ahead of a backlog)."""
        return self._destinations.pending()

    @property
    def sends_in_flight(self) -> int:
        """Deliveries under way (a platform send or the outbox write after it); each wakes the loop when done."""
        return self._in_flight.count

    async def run(self) -> None:
        """Deliver until cancelled."""
        if self._run_active:
            raise RuntimeError("this notifier is already running")
        self._run_active = True
        try:
            await purge_at_start(self._outbox, self._buttons)
            try:
                for owner in await self._lease.end_dead_local_leases():
                    logger.info("outbox: the delivery process %s is gone; delivering what it held now", owner)
            except Exception:  # its rows then wait for its lease to lapse, as on another host
                logger.warning("outbox: could not check for gone delivery processes", exc_info=True)
            await warn_untargeted(self._outbox, self._targets)
            async with self._loop_lock:
                await self._loop(until_idle=False)
        finally:
            self._run_active = False

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 (the pinned API; wraps asyncio.timeout)
        """Wait until nothing deliverable is pending (True) or `timeout` seconds passed (False).

        Works with `run()` active (waits for it) or on its own (delivers until idle): used by tests
        and for an orderly shutdown before cancelling `run()`.
        """
        self.wake()
        try:
            async with asyncio.timeout(timeout):
                if self._looping:
                    await self._idle.wait()
                else:
                    async with self._loop_lock:  # run() started meanwhile: it delivers, we wait
                        if self._looping:
                            await self._idle.wait()
                        else:
                            await self._loop(until_idle=True)
        except TimeoutError:
            return False
        return True

    # -- the loop ---------------------------------------------------------------------------

    async def _loop(self, *, until_idle: bool) -> None:
        self._looping = True
        wakeups = LoopWakeups(self._outbox, self._lease, lambda: self._destinations, self.wake,
                              every_s=self._tick_s, sleep=self._lease_sleep)
        try:
            await wakeups.start()
            while True:
                self._wake_event.clear()
                try:
                    if self._outbox_changed or self._claims.room_freed():
                        self._outbox_changed = False
                        await self._claims.claim_new()
                    delay = self._dispatch()
                except Exception:
                    logger.exception("notifier: delivery round failed; retrying shortly")
                    self._outbox_changed = True  # claim again then: a failed claim may have left rows waiting
                    delay = _LOOP_ERROR_DELAY_S
                if not self._has_work() and not self._wake_event.is_set():
                    self._idle.set()
                    self._pacer.forget_idle()
                    if until_idle:
                        return
                await self._wait(delay)
        finally:
            self._looping = False
            await wakeups.stop()
            await self._in_flight.cancel(self._destinations.values())
            await self._release()

    async def _release(self) -> None:
        """Stopping: forget what waits in memory and hand the claimed rows back for the next claimer."""
        self._destinations = Destinations()
        self._outbox_changed = True
        self._claims.held_back = False
        try:
            await self._lease.release()
        except Exception:  # they are claimable again once the lease lapses
            logger.warning("notifier: could not release its claimed notifications; others take them over"
                           " within %.0f s", self._lease.lease.total_seconds(), exc_info=True)

    def _dispatch(self) -> float | None:
        """Start every send that is due and allowed now; returns seconds until the next one could be."""
        now = self._clock()
        next_time = math.inf
        for dest in self._destinations.ready():
            target = self._targets.get(dest.platform)
            if target is None:  # never claimed (claims ask for the targets' platforms only)
                continue
            due = dest.due_at(self._coalesce_s)
            if due > now:
                next_time = min(next_time, due)
                continue
            if self._in_flight.is_busy(dest.chat_id):
                continue  # another thread of this chat is being sent to
            reserved = self._in_flight.reserved(dest.platform)
            ready = self._pacer.ready_at(dest.platform, dest.chat_id, group=dest.is_group, reserved=reserved)
            if ready > now:
                if ready != math.inf:
                    next_time = min(next_time, ready)
                continue
            part = dest.next_part(target.message_limit, self._max_parts)
            self._in_flight.admit(dest, self._sender.deliver(dest, target, part))
        return None if next_time == math.inf else max(0.0, next_time - now)

    def _count_delivered(self, items: int) -> None:
        self.messages_sent += 1
        self.items_delivered += items

    def _send_finished(self) -> None:
        """A send ended (whatever its outcome): its chat may send again, so look at the outbox in memory."""
        self._idle.clear()
        self._wake_event.set()

    def _has_work(self) -> bool:
        if self._in_flight.count:
            return True
        return self._destinations.has_items_for(self._targets)

    async def _wait(self, delay: float | None) -> None:
        await wake_or_sleep(self._wake_event, delay, self._sleep)
