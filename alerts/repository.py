"""AlertRepository: alert rules and their fire state in the database (table alert_rules, migration 2)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from fxbot.alerts.cold_load import load_price_rules, release_unused_heap
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.rows import (
    ALL_COLUMNS,
    FIRE_COLUMNS,
    LEAN_PRICE_COLUMNS,
    PRICE_FIRE_COLUMNS,
    RULE_COLUMNS,
    STATE_COLUMNS,
    fire_values,
    price_fire_values,
    rule_from_row,
    rule_values,
)
from fxbot.alerts.rules import FireState, Rule
from fxbot.storage.database import Database
from fxbot.storage.timestamps import to_db

R = TypeVar("R", bound=Rule)
_SELECT = f"SELECT {', '.join(ALL_COLUMNS)} FROM alert_rules"
_INSERT = (
    f"INSERT INTO alert_rules ({', '.join((*RULE_COLUMNS, *STATE_COLUMNS))})"
    f" VALUES ({', '.join('?' for _ in (*RULE_COLUMNS, *STATE_COLUMNS))})"
)
_UPDATE_STATE = f"UPDATE alert_rules SET {', '.join(f'{c} = ?' for c in FIRE_COLUMNS)} WHERE id = ?"
_TABLE = "alert_rules"
_NOT_NEWER = (("fire_seq", "<="), ("expired_reported", "<="))
"""The guards of a firing's state write (Database.update_rows): not over a later firing or a reported expiry."""
_SAME_FIRING = (("fire_seq", "="),)
"""The guard of a quiet change's write: only over the state of the same firing."""
_PAUSE_RUNAWAY = "UPDATE alert_rules SET paused = 1 WHERE id = ? AND fire_seq = ?"
_ACTIVE = "done = 0 AND expired_reported = 0"
RECENTLY_FIRED = timedelta(days=7)
LOAD_CHUNK = 10_000
"""Rule ids per cold-load query."""


class AlertRepository:
    """Stores rules; fire-state saves are cheap UPDATEs that leave the chat's pause alone, cold start streams
    lean rows into the engine."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, rule: R) -> R:
        """Store a new rule (its id is ignored) and return it with the id it was given."""
        rule_id = await self._db.fetch_value(_INSERT + " RETURNING id", rule_values(rule))
        return replace(rule, id=int(rule_id))

    async def add_many(self, rules: Iterable[Rule]) -> int:
        """Store many new rules in one transaction (executemany); returns how many were stored."""
        return await self._db.execute_many(_INSERT, (rule_values(rule) for rule in rules))

    async def get(self, rule_id: int) -> Rule | None:
        row = await self._db.fetch_one(f"{_SELECT} WHERE id = ?", (rule_id,))
        return None if row is None else rule_from_row(tuple(row))

    async def list_for_chat(
        self, chat_id: str, *, now: datetime, recent: timedelta = RECENTLY_FIRED, limit: int = 200
    ) -> list[Rule]:
        """The chat's active rules and those that fired (or expired) within `recent`, by id."""
        rows = await self._db.fetch_all(
            f"{_SELECT} WHERE chat_id = ? AND ({_ACTIVE} OR last_fired_at >= ? OR created_at >= ?)"
            " ORDER BY id LIMIT ?",
            (chat_id, to_db(now - recent), to_db(now - recent), max(1, int(limit))),
        )
        return [rule_from_row(tuple(row)) for row in rows]

    async def count_active_for_chat(self, chat_id: str) -> int:
        value = await self._db.fetch_value(
            f"SELECT COUNT(*) FROM alert_rules WHERE chat_id = ? AND {_ACTIVE}", (chat_id,)
        )
        return int(value or 0)

    async def delete(self, rule_id: int, chat_id: str | None = None) -> bool:
        """Delete a rule (only if it belongs to `chat_id` when given); False when there was none."""
        if chat_id is None:
            result = await self._db.execute("DELETE FROM alert_rules WHERE id = ?", (rule_id,))
        else:
            result = await self._db.execute(
                "DELETE FROM alert_rules WHERE id = ? AND chat_id = ?", (rule_id, chat_id)
            )
        return result.rowcount > 0

    async def delete_all_for_chat(self, chat_id: str) -> list[int]:
        """Delete every rule of a chat; returns their ids (so the engine can drop them too)."""
        async with self._db.transaction():
            rows = await self._db.fetch_all("SELECT id FROM alert_rules WHERE chat_id = ? ORDER BY id", (chat_id,))
            await self._db.execute("DELETE FROM alert_rules WHERE chat_id = ?", (chat_id,))
        return [int(row[0]) for row in rows]

    async def set_paused(self, rule_id: int, paused: bool, chat_id: str | None = None) -> bool:
        """Pause or resume (resuming also re-arms); False when there is no such rule."""
        sql = "UPDATE alert_rules SET paused = ?, armed = CASE WHEN ? = 0 THEN 1 ELSE armed END WHERE id = ?"
        params: tuple[object, ...] = (int(paused), int(paused), rule_id)
        if chat_id is not None:
            sql += " AND chat_id = ?"
            params = (*params, chat_id)
        result = await self._db.execute(sql, params)
        return result.rowcount > 0

    # Fire-state writes set only FIRE_COLUMNS: `paused` belongs to the chat (set_paused), so a state decided
    # before a pause, resume or delete and written after it never undoes that (an UPDATE cannot resurrect a
    # deleted rule either). The engine's own pause of a runaway rule is `pause_runaways`.

    async def save_state(self, rule_id: int, state: FireState) -> bool:
        """Persist a rule's fire state (one UPDATE); False when the rule was deleted meanwhile."""
        result = await self._db.execute(_UPDATE_STATE, (*fire_values(state), rule_id))
        return result.rowcount > 0

    async def save_states(self, states: Mapping[int, FireState]) -> int:
        """Persist many fire states in one transaction (engine.take_state_changes())."""
        if not states:
            return 0
        return await self._db.update_rows(
            _TABLE, FIRE_COLUMNS, [(*fire_values(state), rule_id) for rule_id, state in states.items()])

    async def save_fired_states(self, states: Mapping[int, FireState], *, price: bool = False) -> int:
        """Persist the states of firings (with their notifications, in the caller's transaction), never over a
        newer one: a higher fire_seq, or an expiry already reported (writers may commit in any order).

        `price=True`: every state is a price rule's, so only PRICE_FIRE_COLUMNS are written."""
        if not states:
            return 0
        if price:
            return await self._db.update_rows(_TABLE, PRICE_FIRE_COLUMNS, [
                (*price_fire_values(state), rule_id, state.fire_seq, int(state.expired_reported))
                for rule_id, state in states.items()], guards=_NOT_NEWER)
        return await self._db.update_rows(_TABLE, FIRE_COLUMNS, [
            (*fire_values(state), rule_id, state.fire_seq, int(state.expired_reported))
            for rule_id, state in states.items()], guards=_NOT_NEWER)

    async def save_price_fire_rows(self, rows: Sequence[tuple[object, ...]]) -> int:
        """`save_fired_states(..., price=True)` for rows made already: each is `price_fire_values(state)` followed
        by (rule id, fire_seq, expired_reported) (DecidedPriceFiring.fire_row makes them from the engine's columns)."""
        return await self._db.update_rows(_TABLE, PRICE_FIRE_COLUMNS, rows, guards=_NOT_NEWER) if rows else 0

    async def save_quiet_states(self, states: Mapping[int, FireState]) -> int:
        """Persist changes that notified nobody (a re-arm, dormancy, a new day) only over the same fire_seq: a
        state never runs ahead of a firing whose notification is not stored yet (that firing's write carries
        the change instead)."""
        if not states:
            return 0
        return await self._db.update_rows(_TABLE, FIRE_COLUMNS, [
            (*fire_values(state), rule_id, state.fire_seq) for rule_id, state in states.items()], guards=_SAME_FIRING)

    async def pause_runaways(self, fire_seqs: Mapping[int, int]) -> int:
        """Store the engine's pause of rules that fired too often (rule id -> fire_seq of the firing that made
        it a runaway), only where that firing's state is the stored one: not after a later firing."""
        if not fire_seqs:
            return 0
        return await self._db.execute_many(_PAUSE_RUNAWAY, list(fire_seqs.items()))

    async def load_all_active(self) -> list[Rule]:
        """Every rule that is neither done nor expired (as full objects: fine up to ~100k rules)."""
        rows = await self._db.fetch_all(f"{_SELECT} WHERE {_ACTIVE} ORDER BY id")
        return [rule_from_row(tuple(row)) for row in rows]

    async def load_into(self, engine: AlertEngine, *, chunk: int = LOAD_CHUNK) -> int:
        """Cold start: stream every active rule into an engine (price rules column-wise, in id ranges).

        Memory stays flat (one range of rules at a time as transient objects) and no rule object is
        built per price rule. `chunk` is the number of rule ids per query. The event loop runs between
        two ranges and between two books indexed at the end (each some tens of ms of CPU at most): other
        tasks run while a big book loads. Returns the number of rules the engine now watches from this
        load.
        """
        count = await load_price_rules(self._db, engine, id_range=chunk)
        if count is None:  # an SQLite without JSON functions: lean rows instead
            count = await self._load_lean_rows(engine, chunk)
        for _ in engine.finish_loading_books():
            await asyncio.sleep(0)
        release_unused_heap()
        account_rows = await self._db.fetch_all(f"{_SELECT} WHERE kind = 'account' AND {_ACTIVE} ORDER BY id")
        count += engine.add_many(rule_from_row(tuple(row)) for row in account_rows)
        return count

    async def _load_lean_rows(self, engine: AlertEngine, chunk: int) -> int:
        count = 0
        columns = ", ".join(LEAN_PRICE_COLUMNS)
        sql = f"SELECT {columns} FROM alert_rules WHERE kind = 'price' AND {_ACTIVE} AND id > ? ORDER BY id LIMIT ?"
        last_id = 0
        while True:
            rows = await self._db.fetch_all(sql, (last_id, chunk))
            if not rows:
                return count
            count += engine.load_price_rows(cast("list[Sequence[Any]]", rows))
            last_id = int(rows[-1][0])
