"""SQLite repository of managed-stop rules (table managed_stops, migration 10)."""

from __future__ import annotations

from dataclasses import replace

from fxbot.domain.broker import Side
from fxbot.management.rules import ManagedRule, RuleKind, RuleStatus
from fxbot.storage.database import Database, Row
from fxbot.storage.timestamps import from_db, to_db

_FIELDS = ("chat_id", "owner_id", "private_chat", "key_id", "account_id", "position_id", "symbol", "side",
           "volume", "entry_points", "kind", "distance_points", "step_points", "trigger_points", "offset_points",
           "best_points", "stop_points", "failed_points", "status", "thread_id", "created_at")
_STATE = ("best_points", "stop_points", "failed_points", "status")


def _row(row: Row) -> ManagedRule:
    return ManagedRule(
        id=int(row["id"]), chat_id=str(row["chat_id"]), owner_id=str(row["owner_id"]),
        private_chat=bool(row["private_chat"]), key_id=int(row["key_id"]), account_id=str(row["account_id"]),
        position_id=str(row["position_id"]), symbol=str(row["symbol"]), side=Side(row["side"]),
        volume=float(row["volume"]), entry_points=int(row["entry_points"]), kind=RuleKind(row["kind"]),
        created_at=from_db(str(row["created_at"])), distance_points=int(row["distance_points"]),
        step_points=int(row["step_points"]), trigger_points=int(row["trigger_points"]),
        offset_points=int(row["offset_points"]), best_points=_int(row["best_points"]),
        stop_points=_int(row["stop_points"]), failed_points=_int(row["failed_points"]),
        status=RuleStatus(row["status"]), thread_id=None if row["thread_id"] is None else str(row["thread_id"]))


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _values(rule: ManagedRule) -> tuple[object, ...]:
    out: list[object] = []
    for name in _FIELDS:
        value = getattr(rule, name)
        if name == "created_at":
            value = to_db(value)
        elif name == "private_chat":
            value = int(value)
        elif name in ("side", "kind", "status"):
            value = str(value)
        out.append(value)
    return tuple(out)


class ManagedStopStore:
    """Reads and writes managed-stop rules; one rule per (account, position, kind): setting again replaces it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def __repr__(self) -> str:
        return "ManagedStopStore()"

    async def upsert(self, rule: ManagedRule) -> ManagedRule:
        """Insert the rule, replacing one of the same kind on the same position; returns it with its id."""
        columns = ", ".join(_FIELDS)
        updates = ", ".join(f"{name} = excluded.{name}" for name in _FIELDS)
        await self._db.execute(
            f"INSERT INTO managed_stops ({columns}) VALUES ({', '.join('?' * len(_FIELDS))})"
            f" ON CONFLICT (account_id, position_id, kind) DO UPDATE SET {updates}", _values(rule))
        row = await self._db.fetch_one(
            "SELECT * FROM managed_stops WHERE account_id = ? AND position_id = ? AND kind = ?",
            (rule.account_id, rule.position_id, str(rule.kind)))
        assert row is not None
        return replace(rule, id=int(row["id"]))

    async def save_state(self, rule: ManagedRule) -> None:
        """Persist what evaluation changes: best price, known stop, refused stop, status."""
        await self._db.execute(
            f"UPDATE managed_stops SET {', '.join(f'{n} = ?' for n in _STATE)} WHERE id = ?",
            (rule.best_points, rule.stop_points, rule.failed_points, str(rule.status), rule.id))

    async def delete(self, rule_id: int) -> bool:
        return (await self._db.execute("DELETE FROM managed_stops WHERE id = ?", (rule_id,))).rowcount > 0

    async def delete_position(self, account_id: str, position_id: str, kind: RuleKind | None = None) -> int:
        """Remove the rules of a position (of one kind, or all); how many went."""
        if kind is None:
            result = await self._db.execute(
                "DELETE FROM managed_stops WHERE account_id = ? AND position_id = ?", (account_id, position_id))
        else:
            result = await self._db.execute(
                "DELETE FROM managed_stops WHERE account_id = ? AND position_id = ? AND kind = ?",
                (account_id, position_id, str(kind)))
        return result.rowcount

    async def all(self) -> list[ManagedRule]:
        return [_row(r) for r in await self._db.fetch_all("SELECT * FROM managed_stops ORDER BY id")]

    async def for_chat(self, chat_id: str) -> list[ManagedRule]:
        rows = await self._db.fetch_all("SELECT * FROM managed_stops WHERE chat_id = ? ORDER BY id", (chat_id,))
        return [_row(r) for r in rows]
