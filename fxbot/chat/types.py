"""Platform-neutral chat values: who wrote where, what they wrote, and the plain-text replies to send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

MAX_ACTION_LENGTH = 40


class ChatKind(StrEnum):
    """A one-to-one chat with the bot, or a group/channel/server where several people see messages."""

    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class ChatUser:
    """A person, with a platform-qualified id ("telegram:42", "discord:1234", "console:local")."""

    id: str
    display_name: str
    is_platform_admin: bool | None = False  # Telegram chat administrator / Discord "Manage Server"; None: unknown now


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A conversation on one platform (a Discord channel, a Telegram chat, optionally one thread/topic)."""

    id: str
    kind: ChatKind
    platform: str
    thread_id: str | None = None
    title: str | None = None

    @property
    def is_private(self) -> bool:
        return self.kind is ChatKind.PRIVATE


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class IncomingCommand:
    """One chat message as the adapter received it (it may or may not be a command)."""

    user: ChatUser
    chat: ChatRef
    text: str
    message_id: str | None = None
    received_at: datetime = field(default_factory=_utc_now)
    via: str | None = None  # how it arrived when not typed in the chat ("webhook tv"): shown in the audit log


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; `action` is an opaque short token the adapter sends back when it is pressed."""

    label: str
    action: str
    style: Literal["primary", "danger", "secondary"] = "secondary"

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("a button needs a label")
        if not self.action or len(self.action) > MAX_ACTION_LENGTH:
            raise ValueError(f"a button action must be 1-{MAX_ACTION_LENGTH} characters")


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of plain-text cells under headers; `align` is per column, "l" or "r" (numbers)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[Literal["l", "r"], ...] | None = None

    def __post_init__(self) -> None:
        width = len(self.headers)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"table row has {len(row)} cells, headers have {width}")
        if self.align is not None and len(self.align) != width:
            raise ValueError(f"table align has {len(self.align)} entries, headers have {width}")


@dataclass(frozen=True, slots=True)
class Image:
    """A picture (e.g. a PNG chart) with a file name and an optional plain-text caption."""

    data: bytes
    filename: str
    caption: str | None = None

    def __repr__(self) -> str:
        return f"Image(filename={self.filename!r}, bytes={len(self.data)}, caption={self.caption!r})"


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent as is (a CSV export): Telegram sends it as a document, Discord as an attachment, the console
    saves it and prints its path."""

    data: bytes
    filename: str
    caption: str | None = None
    mime_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return f"Document(filename={self.filename!r}, bytes={len(self.data)}, caption={self.caption!r})"


class ReplyKind(StrEnum):
    """The tone of a reply, which adapters may show with an icon or colour."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Reply:
    """A neutral message. All text is PLAIN text; adapters escape it for their markup."""

    title: str | None = None
    text: tuple[str, ...] = ()
    table: Table | None = None
    buttons: tuple[Button, ...] = ()
    image: Image | None = None
    kind: ReplyKind = ReplyKind.INFO
    ephemeral: bool = False  # only the sender should see it, where the platform can do that
    silent: bool = False  # no notification sound
    delete_user_message: bool = False  # e.g. a key pasted in a group
    document: Document | None = None  # a file to send with it (an export)

    @property
    def plain_text(self) -> str:
        """Title and text blocks joined by newlines (for logs, audit and the simplest adapters)."""
        parts = [self.title] if self.title else []
        parts.extend(self.text)
        return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """A person pressed a button carrying `action` under the message `message_id`."""

    user: ChatUser
    chat: ChatRef
    action: str
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class PressResult:
    """After a press: an optional reply, a short popup (`toast`) for the presser, keyboard removal."""

    reply: Reply | None = None
    toast: str | None = None
    alert: bool = False  # True for a refusal: show the toast as a modal alert
    remove_buttons: bool = False
