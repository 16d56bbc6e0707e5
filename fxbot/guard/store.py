"""SQLite persistence of the guard: each account's limits and its state, with the one-winner claim to act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fxbot.guard.rules import GuardLimits
from fxbot.guard.state import GuardState, Phase
from fxbot.storage.database import Database, Row
from fxbot.storage.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class StoredLimits:
    """An account's limits, the key they were set through, and who set them last."""

    account_id: str
    key_id: int
    limits: GuardLimits
    updated_by: str
    updated_at: datetime


class GuardStore:
    """Reads and writes `guard_limits` and `guard_states`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def limits(self, account_id: str) -> StoredLimits | None:
        row = await self._db.fetch_one("SELECT * FROM guard_limits WHERE account_id = ?", (account_id,))
        return None if row is None else _limits(row)

    async def all_limits(self) -> list[StoredLimits]:
        return [_limits(r) for r in await self._db.fetch_all("SELECT * FROM guard_limits ORDER BY account_id")]

    async def set_limits(self, account_id: str, key_id: int, limits: GuardLimits, by: str, at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO guard_limits (account_id, key_id, limits, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (account_id) DO UPDATE SET key_id = excluded.key_id, limits = excluded.limits,"
            " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            (account_id, key_id, limits.to_json(), by, to_db(at)))

    async def remove_limits(self, account_id: str) -> bool:
        return (await self._db.execute("DELETE FROM guard_limits WHERE account_id = ?", (account_id,))).rowcount > 0

    async def state(self, account_id: str) -> GuardState | None:
        row = await self._db.fetch_one("SELECT * FROM guard_states WHERE account_id = ?", (account_id,))
        return None if row is None else _state(row)

    async def acting(self) -> list[GuardState]:
        """Accounts whose close-all was under way (a restart resumes them)."""
        rows = await self._db.fetch_all("SELECT * FROM guard_states WHERE phase = 'acting' ORDER BY account_id")
        return [_state(r) for r in rows]

    async def save(self, state: GuardState) -> None:
        """Write a state that does not start acting (that one goes through `claim_acting`)."""
        await self._db.execute(_UPSERT_STATE, _params(state))

    async def claim_acting(self, state: GuardState) -> bool:
        """Move the account to acting unless it already is acting or blocked; True for the one caller that did.

        One conditional upsert: of two claims at once (other tasks, other processes, PostgreSQL's concurrent
        connections) only one can win."""
        assert state.phase is Phase.ACTING
        won = await self._db.fetch_value(
            _UPSERT_STATE + " WHERE guard_states.phase NOT IN (?, ?) RETURNING 1",
            (*_params(state), Phase.ACTING.value, Phase.BLOCKED.value))
        return won is not None


_UPSERT_STATE = (
    "INSERT INTO guard_states (account_id, day_id, phase, day_start_equity, blocked_until, trigger, changed_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET day_id = excluded.day_id,"
    " phase = excluded.phase, day_start_equity = excluded.day_start_equity,"
    " blocked_until = excluded.blocked_until, trigger = excluded.trigger, changed_at = excluded.changed_at"
)


def _params(s: GuardState) -> tuple[object, ...]:
    return (s.account_id, s.day_id, s.phase.value, s.day_start_equity,
            None if s.blocked_until is None else to_db(s.blocked_until), s.trigger, to_db(s.changed_at))


def _limits(row: Row) -> StoredLimits:
    return StoredLimits(str(row["account_id"]), int(row["key_id"]), GuardLimits.from_json(str(row["limits"])),
                        str(row["updated_by"]), from_db(str(row["updated_at"])))


def _state(row: Row) -> GuardState:
    until = row["blocked_until"]
    start = row["day_start_equity"]
    return GuardState(account_id=str(row["account_id"]), day_id=str(row["day_id"]), phase=Phase(str(row["phase"])),
                      changed_at=from_db(str(row["changed_at"])),
                      day_start_equity=None if start is None else float(start),
                      blocked_until=None if until is None else from_db(str(until)),
                      trigger=None if row["trigger"] is None else str(row["trigger"]))
