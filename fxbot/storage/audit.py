"""The audit log of state-changing commands: who, where, what, result, latency, order produced."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from fxbot.domain.redaction import redact_secrets
from fxbot.storage.database import Database, Row
from fxbot.storage.errors import InvalidValue
from fxbot.storage.timestamps import from_db, to_db

_COLUMNS = "id, at, chat_id, user_id, command, ok, result, latency_ms, order_ref"
MAX_RECENT = 1000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited command; command and result are stored with API keys redacted."""

    id: int
    at: datetime
    chat_id: str
    user_id: str
    command: str
    ok: bool
    result: str
    latency_ms: float
    order_ref: str | None = None


def _row_to_entry(row: Row) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=from_db(row["at"]),
        chat_id=str(row["chat_id"]),
        user_id=str(row["user_id"]),
        command=str(row["command"]),
        ok=bool(row["ok"]),
        result=str(row["result"]),
        latency_ms=float(row["latency_ms"]),
        order_ref=None if row["order_ref"] is None else str(row["order_ref"]),
    )


class AuditRepository:
    """Append-only audit rows, read back per chat or by the order they produced."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        chat_id: str,
        user_id: str,
        command: str,
        ok: bool,
        result: str,
        latency_ms: float,
        at: datetime,
        order_ref: str | None = None,
    ) -> int:
        """Append an entry (redacting anything that looks like an API key); returns its id."""
        if not math.isfinite(latency_ms) or latency_ms < 0:
            raise InvalidValue("latency_ms must be a finite, non-negative number")
        entry_id = await self._db.fetch_value(
            f"INSERT INTO audit_log ({_COLUMNS.removeprefix('id, ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                to_db(at),
                chat_id,
                user_id,
                redact_secrets(command),
                1 if ok else 0,
                redact_secrets(result),
                float(latency_ms),
                order_ref or None,
            ),
        )
        return int(entry_id)

    async def recent(self, chat_id: str, limit: int = 20) -> list[AuditEntry]:
        """The chat's latest entries, newest first."""
        limit = max(0, min(int(limit), MAX_RECENT))
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM audit_log WHERE chat_id = ? ORDER BY at DESC, id DESC LIMIT ?",
            (chat_id, limit),
        )
        return [_row_to_entry(row) for row in rows]

    async def by_order_ref(self, order_ref: str) -> AuditEntry | None:
        """The command that produced this ord_/pos_ id (the earliest, if several mention it)."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM audit_log WHERE order_ref = ? ORDER BY id LIMIT 1", (order_ref,)
        )
        return None if row is None else _row_to_entry(row)
