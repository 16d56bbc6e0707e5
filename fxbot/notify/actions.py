"""The action buttons offered on fill and alert notifications, and their persisted tokens at delivery time."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from fxbot.chat.types import Button
from fxbot.notify.notification import NotificationAction

log = logging.getLogger(__name__)


class TokenMinter(Protocol):
    """Mints a persisted token standing for a command line in a chat (storage's ActionTokens)."""

    async def mint(self, chat_id: str, command: str, *, once: bool) -> str: ...

    async def purge(self) -> int:
        """Forget tokens long expired; how many."""
        ...


def position_actions(position_id: str) -> tuple[NotificationAction, ...]:
    """Close, Close half and Breakeven for a position just opened."""
    return (
        NotificationAction("Close", f"/close {position_id}", style="danger"),
        NotificationAction("Close half", f"/close {position_id} 50%"),
        NotificationAction("Breakeven", f"/be {position_id}"),
    )


def price_alert_actions(rule_id: int, symbol: str, volume: str) -> tuple[NotificationAction, ...]:
    """Snooze 1h, Delete, Buy and Sell for a fired price alert; Buy/Sell open the usual order card."""
    return (
        NotificationAction("Snooze 1h", f"/alert snooze {rule_id} 1h", once=False),
        NotificationAction("Delete", f"/alert del {rule_id}", style="danger"),
        NotificationAction("Buy", f"/buy {symbol} {volume}", style="primary"),
        NotificationAction("Sell", f"/sell {symbol} {volume}", style="primary"),
    )


async def mint_buttons(minter: TokenMinter, chat_id: str, actions: Sequence[NotificationAction]) -> tuple[Button, ...]:
    """One button per action, each carrying a fresh persisted token; none when the tokens cannot be stored
    (the notification still goes out, without buttons)."""
    try:
        return tuple([Button(a.label, await minter.mint(chat_id, a.command, once=a.once), a.style) for a in actions])
    except Exception:
        log.exception("notify: could not store the buttons of a notification for %s; sent without them", chat_id)
        return ()
