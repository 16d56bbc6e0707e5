"""Confirm/Cancel cards for risky commands: short-lived tokens, allowed pressers, exactly-once execution."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Literal

from fxbot.chat.types import Button, ButtonPress, ChatRef, ChatUser, PressResult, Reply, ReplyKind
from fxbot.domain.access import Role

log = logging.getLogger(__name__)

CONFIRM_PREFIX = "cf:"
CANCEL_PREFIX = "cx:"
DEFAULT_TTL_SECONDS = 60.0
NO_LONGER_ACTIVE = "this button is no longer active"

ConfirmAction = Callable[[], Awaitable[Reply]]
#: Re-checks at press time whether the presser may still run the command the card was made by (its name, or
#: None when the card names none): None when allowed, else the refusal to show the presser.
PressCheck = Callable[[str | None], str | None]


class _State(Enum):
    PENDING = "pending"
    RUNNING = "running"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(slots=True)
class _Entry:
    requester: ChatUser
    chat_id: str
    on_confirm: ConfirmAction
    on_cancel: ConfirmAction | None
    created: float
    command: str | None = None
    state: _State = _State.PENDING
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ConfirmationBook:
    """In-memory pending confirmations. One event loop; the clock is injectable: monotonic seconds
    (the default, preferred) or an aware datetime clock such as the dispatcher's."""

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] | Callable[[], datetime] = time.monotonic,
        keep_seconds: float = 600.0,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._keep = keep_seconds  # finished/expired entries answer "already …" this long, then vanish
        self._entries: dict[str, _Entry] = {}

    def _seconds(self) -> float:
        reading = self._clock()
        return reading.timestamp() if isinstance(reading, datetime) else float(reading)

    @property
    def ttl_seconds(self) -> float:
        return self._ttl

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def owns(action: str) -> bool:
        """True when a button action belongs to a confirmation card."""
        return action.startswith((CONFIRM_PREFIX, CANCEL_PREFIX))

    def create(
        self,
        requester: ChatUser,
        chat: ChatRef,
        card: Reply,
        on_confirm: ConfirmAction,
        on_cancel: ConfirmAction | None = None,
        *,
        confirm_label: str = "Confirm",
        confirm_style: Literal["primary", "danger", "secondary"] = "primary",
        command: str | None = None,
    ) -> Reply:
        """The card with Confirm/Cancel buttons appended; `on_confirm` runs at most once, on a valid press.

        `command` names the command that made the card, for the press-time access check (see `press`)."""
        self.purge()
        token = secrets.token_urlsafe(16)  # 22 characters, 128 bits
        while token in self._entries:  # pragma: no cover - astronomically unlikely
            token = secrets.token_urlsafe(16)
        self._entries[token] = _Entry(requester, chat.id, on_confirm, on_cancel, self._seconds(), command)
        buttons = (
            *card.buttons,
            Button(confirm_label, CONFIRM_PREFIX + token, confirm_style),
            Button("Cancel", CANCEL_PREFIX + token, "secondary"),
        )
        return replace(card, buttons=buttons)

    def purge(self) -> int:
        """Mark overdue pending entries expired; drop entries older than ttl + keep. Returns how many went."""
        now = self._seconds()
        gone = [t for t, e in self._entries.items() if now - e.created >= self._ttl + self._keep]
        for token in gone:
            del self._entries[token]
        for entry in self._entries.values():
            if entry.state is _State.PENDING and now - entry.created >= self._ttl:
                entry.state = _State.EXPIRED
        return len(gone)

    async def press(self, press: ButtonPress, presser_role: Role, recheck: PressCheck | None = None) -> PressResult:
        """Handle a Confirm or Cancel press by anyone; never raises for a bad press.

        Who may press: the requester or a chat admin (`presser_role`, as resolved now — being a platform admin
        counts only through that role). A Confirm also runs `recheck` (the full access check of the card's
        command for the presser, now): a refusal leaves the card pending and sends nothing."""
        self.purge()
        confirming = press.action.startswith(CONFIRM_PREFIX)
        token = press.action[len(CONFIRM_PREFIX) :] if self.owns(press.action) else ""
        entry = self._entries.get(token)
        if entry is None or entry.chat_id != press.chat.id:
            return PressResult(toast=NO_LONGER_ACTIVE, remove_buttons=True)
        if entry.state is _State.RUNNING or entry.lock.locked():
            return PressResult(toast="already in progress")
        if entry.state is _State.CONFIRMED:
            return PressResult(toast="already confirmed", remove_buttons=True)
        if entry.state is _State.CANCELLED:
            return PressResult(toast="already cancelled", remove_buttons=True)
        if entry.state is _State.EXPIRED:
            message = f"this confirmation expired after {self._ttl:g} s — nothing was sent"
            return PressResult(reply=Reply(text=(message,), kind=ReplyKind.WARNING), toast=message,
                               remove_buttons=True)
        if not self._may_press(press.user, presser_role, entry):
            verb = "confirm" if confirming else "cancel"
            return PressResult(toast=f"only {entry.requester.display_name} or a chat admin can {verb} this",
                               alert=True)
        if not confirming:
            return await self._cancel(entry)
        refusal = recheck(entry.command) if recheck is not None else None
        if refusal is not None:
            return PressResult(toast=refusal, alert=True)
        return await self._confirm(entry)

    @staticmethod
    def _may_press(user: ChatUser, role: Role, entry: _Entry) -> bool:
        return user.id == entry.requester.id or role is Role.ADMIN

    async def _confirm(self, entry: _Entry) -> PressResult:
        entry.state = _State.RUNNING  # set before any await: a concurrent press sees it at once
        async with entry.lock:
            try:
                reply = await entry.on_confirm()
            except Exception:
                log.exception("a confirmed action failed")
                reply = Reply(
                    text=("something went wrong carrying this out — it was logged and not retried; "
                          "check /positions and /orders before trying again",),
                    kind=ReplyKind.ERROR,
                )
            finally:
                entry.state = _State.CONFIRMED
        return PressResult(reply=reply, remove_buttons=True)

    async def _cancel(self, entry: _Entry) -> PressResult:
        entry.state = _State.CANCELLED
        reply = Reply(text=("cancelled, nothing was sent",), kind=ReplyKind.INFO)
        if entry.on_cancel is not None:
            try:
                reply = await entry.on_cancel()
            except Exception:
                log.exception("a cancel action failed")
        return PressResult(reply=reply, toast="cancelled", remove_buttons=True)
