"""Shared test doubles for the notify tests: notifications, a fake monotonic clock, a recording target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.notification import Notification, Severity
from tests.fakes.clocks import VirtualClock

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def note(
    chat_id: str = "telegram:1",
    key: str = "k1",
    *,
    severity: Severity = Severity.INFO,
    title: str | None = None,
    lines: tuple[str, ...] = ("EURUSD 1.0901",),
    kind: str = "price_alert",
    silent: bool = False,
    seconds: float = 0.0,
    thread_id: str | None = None,
) -> Notification:
    """A notification with sensible defaults; `seconds` shifts created_at from T0."""
    return Notification(
        chat_id,
        severity,
        title or f"alert {key}",
        lines,
        key,
        kind,
        silent=silent,
        created_at=T0 + timedelta(seconds=seconds),
        thread_id=thread_id,
    )


class WallClock:
    """An outbox's wall clock (enqueue times, lease expiry) that moves only when the test sets `now`."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class FakeClock(VirtualClock):
    """A monotonic clock that only moves when told, or when the notifier 'sleeps' with nothing in flight
    (`clock.busy = lambda: notifier.sends_in_flight > 0`; see VirtualClock)."""


@dataclass
class Sent:
    at: float
    chat: ChatRef
    reply: Reply


@dataclass
class RecordingTarget:
    """A delivery target that records every message (with the fake time it was sent at)."""

    clock: FakeClock
    platform: str = "telegram"
    message_limit: int | None = 4096
    sent: list[Sent] = field(default_factory=list)
    fail_with: dict[str, list[BaseException]] = field(default_factory=dict)  # chat id -> errors to raise

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        errors = self.fail_with.get(chat.id)
        if errors:
            raise errors.pop(0)
        self.sent.append(Sent(self.clock(), chat, reply))

    def to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.chat.id == chat_id]

    def text_to(self, chat_id: str) -> str:
        return "\n".join(s.reply.plain_text for s in self.to(chat_id))
