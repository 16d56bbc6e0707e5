"""OutboxPost: in a process that does not send (a worker), a reply meant for a chat goes through the outbox.

The results of alert orders (an alert that places an order when it fires) are replies the app posts to the
chat directly; a worker's adapters are not started (the delivery process is the only sender), so it hands
them to the notify outbox as a notification instead: title, text lines, table rows as " | "-joined lines.
Buttons are dropped (a confirmation card's closures live in one process only; alert orders need none).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from fxbot.chat.types import ChatRef, Reply, ReplyKind
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.outbox import Outbox

KIND = "chat_reply"
_SEVERITY = {ReplyKind.WARNING: Severity.WARNING, ReplyKind.ERROR: Severity.WARNING}


def reply_notification(chat: ChatRef, reply: Reply, at: datetime) -> Notification:
    """The notification that carries a reply to its chat (and thread)."""
    lines = list(reply.text)
    if reply.table is not None:
        lines.append(" | ".join(reply.table.headers))
        lines.extend(" | ".join(row) for row in reply.table.rows)
    return Notification(chat_id=chat.id, severity=_SEVERITY.get(reply.kind, Severity.INFO),
                        title=reply.title or "fxbot", lines=tuple(lines), dedupe_key=f"reply:{uuid.uuid4().hex}",
                        kind=KIND, silent=reply.silent, created_at=at, thread_id=chat.thread_id)


class OutboxPost:
    """`await post(chat, reply)`: the reply is enqueued for the delivery process."""

    def __init__(self, outbox: Outbox, clock: Callable[[], datetime]) -> None:
        self._outbox = outbox
        self._clock = clock

    async def __call__(self, chat: ChatRef, reply: Reply) -> None:
        await self._outbox.enqueue(reply_notification(chat, reply, self._clock()), chat_kind=chat.kind)
