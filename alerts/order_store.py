"""The orders alerts place when they fire, in SQLite: pending until claimed once (then done or cancelled)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fxbot.storage.database import Database, Row
from fxbot.storage.timestamps import to_db

_IDS_PER_READ = 500
"""Rule ids asked for in one statement (SQLite takes at most 32,766 parameters, PostgreSQL 65,535)."""


@dataclass(frozen=True, slots=True)
class AlertOrder:
    """The order one alert rule places: `command` run as `user_id` in `chat_id`; `group_id` joins OCO legs."""

    rule_id: int
    group_id: int | None
    chat_id: str
    thread_id: str | None
    user_id: str
    user_name: str
    command: str
    state: str


def _order(row: Row) -> AlertOrder:
    return AlertOrder(rule_id=int(row["rule_id"]), group_id=row["group_id"], chat_id=str(row["chat_id"]),
                      thread_id=row["thread_id"], user_id=str(row["user_id"]), user_name=str(row["user_name"]),
                      command=str(row["command"]), state=str(row["state"]))


class AlertOrderStore:
    """Claims are atomic: an order is run at most once, whatever fires it (a firing, a restart's recovery)."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def add(self, order: AlertOrder) -> None:
        await self._db.execute(
            "INSERT INTO alert_actions (rule_id, group_id, chat_id, thread_id, user_id, user_name, command, state,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
            (order.rule_id, order.group_id, order.chat_id, order.thread_id, order.user_id, order.user_name,
             order.command, to_db(self._clock())))

    async def get(self, rule_id: int) -> AlertOrder | None:
        row = await self._db.fetch_one("SELECT * FROM alert_actions WHERE rule_id = ?", (rule_id,))
        return None if row is None else _order(row)

    async def pending(self) -> list[AlertOrder]:
        rows = await self._db.fetch_all("SELECT * FROM alert_actions WHERE state = 'pending' ORDER BY rule_id")
        return [_order(row) for row in rows]

    async def pending_among(self, rule_ids: Sequence[int]) -> list[int]:
        """The rules of `rule_ids` (in their order, each once) whose order is still pending: one plain read for a
        burst of firings, most of whose alerts place no order (no write, no lock taken)."""
        wanted = list(dict.fromkeys(rule_ids))
        found: set[int] = set()
        for start in range(0, len(wanted), _IDS_PER_READ):
            chunk = wanted[start:start + _IDS_PER_READ]
            rows = await self._db.fetch_all(
                "SELECT rule_id FROM alert_actions WHERE state = 'pending' AND rule_id IN "
                f"({', '.join('?' * len(chunk))})", chunk)
            found.update(int(row["rule_id"]) for row in rows)
        return [rule_id for rule_id in wanted if rule_id in found]

    async def pending_in_chat(self, chat_id: str) -> dict[int, str]:
        """Rule id -> the order command still waiting for its alert, in one chat."""
        rows = await self._db.fetch_all(
            "SELECT rule_id, command FROM alert_actions WHERE chat_id = ? AND state = 'pending'", (chat_id,))
        return {int(row["rule_id"]): str(row["command"]) for row in rows}

    async def claim(self, rule_id: int) -> tuple[AlertOrder, list[AlertOrder]] | None:
        """Take a pending order to run, cancelling the other legs of its group in the same transaction; None
        when it was not pending (already run, cancelled, or no order)."""
        now = to_db(self._clock())
        async with self._db.transaction():
            row = await self._db.fetch_one("SELECT * FROM alert_actions WHERE rule_id = ? AND state = 'pending'",
                                           (rule_id,))
            if row is None:
                return None
            order = _order(row)
            taken = await self._db.execute(  # conditional: of two processes claiming at once, one gets it
                "UPDATE alert_actions SET state = 'claimed', finished_at = ? WHERE rule_id = ? AND state = 'pending'",
                (now, rule_id))
            if taken.rowcount != 1:
                return None
            others: list[AlertOrder] = []
            if order.group_id is not None:
                rows = await self._db.fetch_all(
                    "SELECT * FROM alert_actions WHERE group_id = ? AND rule_id <> ? AND state = 'pending'",
                    (order.group_id, rule_id))
                others = [_order(r) for r in rows]
                await self._db.execute(
                    "UPDATE alert_actions SET state = 'cancelled', finished_at = ?, outcome = 'the other leg fired'"
                    " WHERE group_id = ? AND rule_id <> ? AND state = 'pending'", (now, order.group_id, rule_id))
        return order, others

    async def finish(self, rule_id: int, state: str, outcome: str) -> None:
        await self._db.execute("UPDATE alert_actions SET state = ?, outcome = ?, finished_at = ? WHERE rule_id = ?",
                               (state, outcome[:300], to_db(self._clock()), rule_id))

    async def cancel(self, rule_id: int, reason: str) -> bool:
        result = await self._db.execute(
            "UPDATE alert_actions SET state = 'cancelled', outcome = ?, finished_at = ? WHERE rule_id = ?"
            " AND state = 'pending'", (reason[:300], to_db(self._clock()), rule_id))
        return result.rowcount > 0
