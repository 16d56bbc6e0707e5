"""The notification value the alert engine hands to the outbox: one event for one chat."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Literal

MAX_DEDUPE_KEY_LENGTH = 200


class Severity(IntEnum):
    """How urgent a notification is; critical ones skip the coalescing window and are never dropped."""

    INFO = 0
    WARNING = 1
    CRITICAL = 2


MAX_ACTIONS = 6


@dataclass(frozen=True, slots=True)
class NotificationAction:
    """A button offered with a notification: pressing it runs `command` as the presser typed it; `once`: it acts
    at most once (Close, Delete), else pressing again repeats it harmlessly (Snooze)."""

    label: str
    command: str
    once: bool = True
    style: Literal["primary", "danger", "secondary"] = "secondary"

    def __post_init__(self) -> None:
        if not self.label or not self.command.startswith("/"):
            raise ValueError(f"a notification action needs a label and a /command, got {self!r}")


@dataclass(frozen=True, slots=True)
class Notification:
    """One event for one chat (a fired alert, a fill); all text is plain text, adapters escape it.

    `dedupe_key` identifies the event durably ("alert:{rule_id}:{fire_seq}", "fill:…"): enqueueing
    the same key twice delivers it once. `kind` names the event ("price_alert", "fill", …).
    """

    chat_id: str
    severity: Severity
    title: str
    lines: tuple[str, ...]
    dedupe_key: str
    kind: str
    _: KW_ONLY
    silent: bool = False
    created_at: datetime
    thread_id: str | None = None
    image: bytes | None = field(default=None, repr=False)  # a picture sent with it (a digest's PNG)
    image_name: str | None = None
    actions: tuple[NotificationAction, ...] = ()  # buttons, where the platform has them (one message only)

    def __post_init__(self) -> None:
        if not isinstance(self.chat_id, str) or ":" not in self.chat_id or self.chat_id.startswith(":"):
            raise ValueError(
                f"notification chat_id must be platform-qualified like 'telegram:123', got {self.chat_id!r}"
            )
        if not isinstance(self.severity, Severity):
            try:
                object.__setattr__(self, "severity", Severity(self.severity))
            except ValueError:
                raise ValueError(f"unknown notification severity {self.severity!r}") from None
        if not self.title or not self.title.strip():
            raise ValueError("a notification needs a title")
        if isinstance(self.lines, str) or not all(isinstance(line, str) for line in self.lines):
            raise ValueError("notification lines must be a tuple of strings")
        if not isinstance(self.lines, tuple):
            object.__setattr__(self, "lines", tuple(self.lines))
        if not self.dedupe_key or len(self.dedupe_key) > MAX_DEDUPE_KEY_LENGTH:
            raise ValueError(f"a notification dedupe_key must be 1-{MAX_DEDUPE_KEY_LENGTH} characters")
        if not self.kind:
            raise ValueError("a notification needs a kind (e.g. 'price_alert', 'fill')")
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise ValueError("notification created_at must be timezone-aware")
        if self.thread_id is not None and not self.thread_id:
            raise ValueError("notification thread_id must be None or non-empty")
        if self.image is not None and not (isinstance(self.image, bytes) and self.image and self.image_name):
            raise ValueError("a notification image must be non-empty bytes with an image_name")
        if len(self.actions) > MAX_ACTIONS or not all(isinstance(a, NotificationAction) for a in self.actions):
            raise ValueError(f"a notification carries at most {MAX_ACTIONS} NotificationActions")
        if not isinstance(self.actions, tuple):
            object.__setattr__(self, "actions", tuple(self.actions))

    @property
    def platform(self) -> str:
        """The platform prefix of the chat id ("telegram" for "telegram:-100123")."""
        return self.chat_id.split(":", 1)[0]

    @property
    def is_critical(self) -> bool:
        return self.severity is Severity.CRITICAL
