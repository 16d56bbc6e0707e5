"""Delivery failures: the metrics observer, safe error texts, retry backoff and blocking a refusing chat."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Protocol

from fxbot.domain.redaction import redact_secrets
from fxbot.notify.blocked import BlockedChats
from fxbot.notify.composer import ComposedPart
from fxbot.notify.destination import Destination, Destinations
from fxbot.notify.lease import OutboxLease
from fxbot.notify.pacing import MonotonicClock

logger = logging.getLogger(__name__)

_PLATFORM_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")  # a Telegram bot token in a URL


class DeliveryObserver(Protocol):
    """Told how deliveries go (the ops metrics): per platform, never per chat."""

    def delivered(self, platform: str, waited_s: Sequence[float]) -> None:
        """Items were delivered, each `waited_s` after the notifier picked it up."""

    def retry_after(self, platform: str, seconds: float) -> None: ...

    def delivery_failed(self, platform: str, reason: str) -> None:
        """A send failed: "forbidden" (the chat refuses the bot) or "error" (retried)."""


def observe(observer: DeliveryObserver | None, report: Callable[[DeliveryObserver], None]) -> None:
    """Report to the observer, if any; metrics never break delivery."""
    if observer is None:
        return
    try:
        report(observer)
    except Exception:  # metrics never break delivery
        logger.exception("notifier: recording delivery metrics failed")


def safe_text(text: str) -> str:
    """An error text with FxSocket keys and platform tokens masked (safe to log and store)."""
    return _PLATFORM_TOKEN.sub("***", redact_secrets(text))[:300]


async def forbid_chat(
    destinations: Destinations,
    blocked: BlockedChats,
    outbox: OutboxLease,
    chat_id: str,
    reason: str,
) -> None:
    """The chat refuses the bot: drop what waits for it in memory and in the outbox, and block it."""
    for dest in destinations.of_chat(chat_id):
        dest.clear()
    first = await blocked.block(chat_id, safe_text(reason))
    dropped = await outbox.mark_chat_undeliverable(chat_id, safe_text(reason))
    if first:
        logger.warning("notifier: %s refuses messages (%s); %d pending notifications dropped,"
                       " not sending there any more", chat_id, safe_text(reason), dropped)


async def record_failed_send(
    outbox: OutboxLease,
    dest: Destination,
    part: ComposedPart,
    exc: Exception,
    *,
    clock: MonotonicClock,
    backoff_s: float,
    max_backoff_s: float,
    max_attempts: int,
) -> None:
    """A send failed: back the destination off exponentially, give up on non-critical items past `max_attempts`."""
    error = f"{type(exc).__name__}: {safe_text(str(exc))}"
    dest.failures += 1
    delay = min(backoff_s * 2 ** (dest.failures - 1), max_backoff_s)
    dest.next_attempt = clock() + delay
    dest.batch = []
    live = [i for i in part.item_ids if i in dest.items]
    for item_id in live:
        dest.attempts[item_id] = dest.attempts.get(item_id, 0) + 1
    await outbox.record_failure(live, error)
    give_up = [i for i in live if dest.attempts[i] >= max_attempts and not dest.items[i].is_critical]
    if give_up:
        dest.remove(give_up)
        await outbox.mark_failed(give_up, error)
        logger.error("notifier: gave up on %d notifications for %s after %d attempts: %s",
                     len(give_up), dest.chat_id, max_attempts, error)
    else:
        logger.warning("notifier: sending to %s failed (attempt %d, retry in %.0f s): %s",
                       dest.chat_id, dest.failures, delay, error)
