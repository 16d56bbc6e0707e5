"""Buttons whose action is a persisted token standing for a command line (the buttons on notifications)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

PREFIX = "na:"
EXPIRED = "this button has expired"
ALREADY_DONE = "already done — this button acts once"


def owns(action: str) -> bool:
    """True when a button action is a persisted token (it outlives a restart and needs no in-memory state)."""
    return action.startswith(PREFIX)


@dataclass(frozen=True, slots=True)
class ActionToken:
    """What a press may run: `command` typed in `chat_id`, until `expires_at`; `once` for one-shot actions."""

    token: str
    chat_id: str
    command: str
    once: bool
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class Lookup(Enum):
    """Why a token cannot be used now."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


class ActionTokenStore(Protocol):
    """Where tokens are kept (storage's ActionTokens)."""

    async def find(self, token: str, chat_id: str) -> ActionToken | Lookup: ...

    async def claim(self, token: str, user_id: str) -> bool: ...
