"""Sending one composed part to its chat and handling the outcome: marked sent, retry-after, forbidden or failed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from fxbot.notify.actions import TokenMinter, mint_buttons
from fxbot.notify.blocked import BlockedChats
from fxbot.notify.composer import ComposedPart
from fxbot.notify.destination import Destination, Destinations
from fxbot.notify.errors import DeliveryForbidden, DeliveryRetryAfter
from fxbot.notify.failures import DeliveryObserver, forbid_chat, observe, record_failed_send
from fxbot.notify.inflight import InFlight
from fxbot.notify.lease import OutboxLease
from fxbot.notify.pacing import MonotonicClock, Pacer
from fxbot.notify.targets import DeliveryTarget

logger = logging.getLogger(__name__)


class PartSender:
    """Sends one composed part (one message) of a chat's batch and settles its outcome.

    Sent: its items are marked sent by one write started at once, which a stop (InFlight.cancel) waits for.
    `DeliveryRetryAfter` pauses the chat (or platform) and drops the composed batch, so what arrives meanwhile
    merges into the next message; `DeliveryForbidden` blocks the chat; any other exception is a failed
    attempt, retried with backoff (fxbot.notify.failures). Each send, whatever its outcome, calls `finished`.
    """

    def __init__(
        self,
        lease: OutboxLease,
        pacer: Pacer,
        in_flight: InFlight,
        blocked: BlockedChats,
        destinations: Callable[[], Destinations],
        *,
        clock: MonotonicClock,
        observer: DeliveryObserver | None,
        buttons: TokenMinter | None,
        send_timeout_s: float,
        backoff_s: float,
        max_backoff_s: float,
        max_attempts: int,
        delivered: Callable[[int], None],
        finished: Callable[[], None],
    ) -> None:
        self._lease = lease
        self._pacer = pacer
        self._in_flight = in_flight
        self._blocked = blocked
        self._destinations = destinations  # a getter: a stop replaces the notifier's Destinations
        self._clock = clock
        self._observer = observer
        self._buttons = buttons  # None: notifications go out without their action buttons
        self._send_timeout_s = send_timeout_s
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._max_attempts = max_attempts
        self._delivered = delivered  # called with the number of items a sent message carried
        self._finished = finished

    async def deliver(self, dest: Destination, target: DeliveryTarget, part: ComposedPart) -> None:
        self._in_flight.started(dest.platform)
        try:
            # Counted now, when the message really goes out, not when it was admitted: the pacer's
            # windows then match what the platform sees even if this task started late.
            self._pacer.record_send(dest.platform, dest.chat_id, group=dest.is_group)
            reply = part.reply
            if part.actions and self._buttons is not None:  # minted per attempt: a token's life starts when sent
                reply = replace(reply, buttons=await mint_buttons(self._buttons, dest.chat_id, part.actions))
            async with asyncio.timeout(self._send_timeout_s):
                await target.send(dest.chat, reply)
        except DeliveryRetryAfter as exc:
            self._pacer.retry_after(dest.platform, dest.chat_id if exc.chat_wide else None, exc.seconds)
            dest.batch = []  # recompose after the wait, merging whatever arrived meanwhile
            wait_s = exc.seconds
            observe(self._observer, lambda o: o.retry_after(dest.platform, wait_s))
            logger.info("notifier: %s asks to wait %.1f s (%s)", dest.chat_id, exc.seconds,
                        "this chat" if exc.chat_wide else f"all of {dest.platform}")
        except DeliveryForbidden as exc:
            observe(self._observer, lambda o: o.delivery_failed(dest.platform, "forbidden"))
            await self._in_flight.recording(
                forbid_chat(self._destinations(), self._blocked, self._lease, dest.chat_id, exc.reason))
        except Exception as exc:  # an adapter bug or a network error: retry with backoff
            observe(self._observer, lambda o: o.delivery_failed(dest.platform, "error"))
            await self._in_flight.recording(record_failed_send(
                self._lease, dest, part, exc, clock=self._clock, backoff_s=self._backoff_s,
                max_backoff_s=self._max_backoff_s, max_attempts=self._max_attempts))
        else:
            # The at-least-once window: from here until this write commits. It starts at once, and a
            # stop (InFlight.cancel) waits for it even when this task is cancelled.
            written = self._in_flight.track(self._lease.mark_sent(part.item_ids))
            now = self._clock()
            waited = [now - dest.seen_at[i] for i in part.item_ids if i in dest.seen_at]
            observe(self._observer, lambda o: o.delivered(dest.platform, waited))
            dest.part_sent(part)
            self._delivered(len(part.item_ids))
            try:
                recorded = await asyncio.shield(written)
            except Exception:
                logger.exception("notifier: delivered %d items to %s but could not record it",
                                 len(part.item_ids), dest.chat_id)
            else:
                if recorded < len(part.item_ids):
                    logger.warning("notifier: delivered %d items to %s, %d of them no longer held here (lease"
                                   " lapsed, or finished meanwhile)", len(part.item_ids), dest.chat_id,
                                   len(part.item_ids) - recorded)
        finally:
            self._in_flight.finished(dest)
            self._finished()
