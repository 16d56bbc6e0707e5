"""Who placed which order: batch lookups of the audit log's order_ref column (the earliest entry wins)."""

from __future__ import annotations

from collections.abc import Iterable

from fxbot.storage.database import Database

_CHUNK = 500


async def order_authors(db: Database, chat_id: str, refs: Iterable[str]) -> dict[str, str]:
    """order_ref -> user id of the earliest successful audited command in `chat_id` that produced it.

    Refs never audited in that chat (orders placed outside the bot, or from another chat) are absent.
    """
    wanted = sorted({ref for ref in refs if ref})
    found: dict[str, str] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i : i + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        rows = await db.fetch_all(
            "SELECT order_ref, user_id FROM audit_log WHERE id IN ("
            f" SELECT MIN(id) FROM audit_log WHERE chat_id = ? AND ok = 1 AND order_ref IN ({marks})"
            " GROUP BY order_ref)",
            (chat_id, *chunk),
        )
        found.update({str(row["order_ref"]): str(row["user_id"]) for row in rows})
    return found
