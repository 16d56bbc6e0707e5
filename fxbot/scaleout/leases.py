"""LeaseStore: named leases (an owner and an expiry) in the `leases` table, claimed and renewed atomically.

One table serves every kind of lease: worker partitions (`partition:N`), worker heartbeats (`worker:ID`)
and the scheduler leader (`scheduler`). A claim is one conditional upsert: it succeeds when the lease is
free, expired, or already ours, so two processes can never both hold one. Times are the caller's clock
(UTC, stored as fixed-width ISO text that sorts as time); hosts must keep their clocks in step (NTP):
any skew between two hosts adds to the takeover time and eats into the safety margin (see docs/scaling-out.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fxbot.storage.timestamps import Clock, from_db, to_db

if TYPE_CHECKING:
    from fxbot.storage.database import Database

_CLAIM = """
INSERT INTO leases (name, owner, lease_until) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
WHERE leases.owner = excluded.owner OR leases.lease_until < ?
RETURNING owner
"""


@dataclass(frozen=True, slots=True)
class Lease:
    """One row of the leases table."""

    name: str
    owner: str
    lease_until: datetime

    def live(self, now: datetime) -> bool:
        return self.lease_until >= now


class LeaseStore:
    """Claim, renew, release and list leases for one owner (a process's id)."""

    def __init__(self, db: Database, owner: str, clock: Clock) -> None:
        if not owner:
            raise ValueError("a lease owner needs a non-empty id")
        self._db = db
        self.owner = owner
        self._clock = clock

    def __repr__(self) -> str:
        return f"LeaseStore(owner={self.owner!r})"

    def now(self) -> datetime:
        return self._clock()

    async def claim(self, name: str, length: timedelta) -> datetime | None:
        """Take or renew the lease `name` for `length` from now; its new expiry, or None when another holds it."""
        now = self._clock()
        until = now + length
        row = await self._db.fetch_one(_CLAIM, (name, self.owner, to_db(until), to_db(now)))
        if row is None or str(row[0]) != self.owner:
            return None
        return until

    async def renew_held(self, prefix: str, length: timedelta) -> set[str]:
        """Renew every lease of ours whose name starts with `prefix`; the names we still hold (ours, not lapsed:
        a lapsed lease nobody took yet is renewed too, as nobody else acted on it)."""
        now = self._clock()
        await self._db.execute(
            "UPDATE leases SET lease_until = ? WHERE owner = ? AND name LIKE ?",
            (to_db(now + length), self.owner, _like(prefix)))
        rows = await self._db.fetch_all("SELECT name FROM leases WHERE owner = ? AND name LIKE ?",
                                        (self.owner, _like(prefix)))
        return {str(row[0]) for row in rows}

    async def release(self, names: Iterable[str]) -> None:
        """Give leases up at once (others may claim them without waiting for the expiry)."""
        for name in names:
            await self._db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, self.owner))

    async def list(self, prefix: str) -> list[Lease]:
        """Every lease whose name starts with `prefix`, live or not, by name."""
        rows = await self._db.fetch_all(
            "SELECT name, owner, lease_until FROM leases WHERE name LIKE ? ORDER BY name", (_like(prefix),))
        return [Lease(str(r[0]), str(r[1]), from_db(str(r[2]))) for r in rows]

    async def purge_expired(self, prefix: str, older_than: timedelta) -> None:
        """Drop leases of `prefix` that lapsed more than `older_than` ago (heartbeats of long-gone workers)."""
        cutoff = self._clock() - older_than
        await self._db.execute("DELETE FROM leases WHERE name LIKE ? AND lease_until < ?",
                               (_like(prefix), to_db(cutoff)))


def _like(prefix: str) -> str:
    """A LIKE pattern for names starting with `prefix` (which must hold no LIKE wildcard)."""
    if "%" in prefix or "_" in prefix:
        raise ValueError(f"a lease name prefix must not contain % or _: {prefix!r}")
    return prefix + "%"
