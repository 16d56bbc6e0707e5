"""The dispatcher's AuditSink backed by the storage audit log (who, where, what, result, latency)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fxbot.storage import Storage


def _utcnow() -> datetime:
    return datetime.now(UTC)


class StorageAuditSink:
    """Writes every state-changing command to storage.audit, stamped with the given clock."""

    def __init__(self, storage: Storage, clock: Callable[[], datetime] = _utcnow) -> None:
        self._storage = storage
        self._clock = clock

    async def record(
        self,
        *,
        chat_id: str,
        user_id: str,
        command: str,
        ok: bool,
        result: str,
        latency_ms: float,
        order_ref: str | None,
    ) -> None:
        await self._storage.audit.record(
            chat_id, user_id, command, ok, result, latency_ms, self._clock(), order_ref=order_ref
        )
