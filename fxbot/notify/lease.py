"""A delivery process's lease on outbox rows: claim a batch, renew the lease, finish only rows still held, release."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta

from fxbot.notify.notification import Severity
from fxbot.notify.outbox import ITEM_COLUMNS, OUTBOX_CHANNEL, Outbox, OutboxItem, item_from_row
from fxbot.storage.timestamps import to_db

DEFAULT_LEASE = timedelta(seconds=20)
"""How long a claim holds without renewal: the bound on how long a dead delivery process's items wait."""

CLAIM_LOCK_KEY = 0x66786F7574626F78  # PostgreSQL advisory lock that serialises claims ("fxoutbox")


def delivery_owner() -> str:
    """A name for this delivery process, unique per start (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class OutboxLease:
    """The outbox rows one delivery process holds (`claimed_by` = its owner name) and the lease they hold under.

    The lease is one row of `notify_delivery_leases` (owner, lease_until), so renewing it is one write however
    many rows are held. A row is free when unclaimed, or claimed by an owner whose lease lapsed. `claim` takes
    free rows of the given platforms, oldest first, but never a row of a chat another live owner holds rows
    of: one chat is served by one process at a time, so its messages keep their order and its pacing. Claims
    and renewals are serialised (SQLite: the one writer; PostgreSQL: an advisory transaction lock), so that
    per-chat rule is exact and a lapse is seen consistently; `db.skip_locked` keeps a claim from waiting on
    rows another process is finishing. The marks change a row only while this owner still holds it;
    `release` hands everything back. When a claim or a renewal finds this owner's lease had lapsed (a stall
    longer than the lease), `on_lapse` is told which rows it still holds: the others may have been taken.
    Lease times are the outbox clock's (wall) time: delivery processes' clocks must agree to well within
    the lease (NTP).
    """

    def __init__(self, outbox: Outbox, owner: str | None = None, lease: timedelta = DEFAULT_LEASE) -> None:
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self._outbox = outbox
        self._db = outbox.database
        self._clock = outbox.clock
        self.owner = owner or delivery_owner()
        self.lease = lease
        self.on_lapse: Callable[[set[int]], None] | None = None
        self._holding = False  # True from the first claim to a release: a missing lease row is then a lapse

    def __repr__(self) -> str:
        return f"OutboxLease(owner={self.owner!r}, lease={self.lease.total_seconds():g}s)"

    async def claim(self, platforms: Collection[str], limit: int, *, critical_only: bool = False) -> list[OutboxItem]:
        """Claim up to `limit` free rows for these platforms, oldest first (see the class docstring); with
        `critical_only`, only critical rows (the partial index notify_outbox_critical finds them in a backlog).

        Rows of lapsed owners first, then unclaimed ones, each through the (claimed_by, id) index in id order;
        the other owners are read first (a handful of rows), so only their rows are ever looked at, never this
        owner's own: a claim stays cheap with a large backlog held, and without table statistics."""
        if not platforms or limit < 1:
            return []
        now = self._clock()
        at = to_db(now)
        items: list[OutboxItem] = []
        async with self._db.transaction():
            await self._hold(now)
            others = await self._db.fetch_all(
                "SELECT owner, lease_until FROM notify_delivery_leases WHERE owner <> ?", (self.owner,))
            lapsed = [str(row[0]) for row in others if str(row[1]) < at]
            live = [str(row[0]) for row in others if str(row[1]) >= at]
            # critical rows only: the owner test is written so that no index serves it, and the partial index on
            # pending critical rows is the path (not a scan of a large backlog's unclaimed rows)
            holder = "coalesce(claimed_by, '')" if critical_only else "claimed_by"
            critical = f" AND severity = {int(Severity.CRITICAL)}" if critical_only else ""
            sources: list[tuple[str, list[str]]] = [
                (f"{holder} = ''{critical}" if critical_only else "claimed_by IS NULL", [])]
            if lapsed:
                sources.insert(0, (f"{holder} IN ({_marks(len(lapsed))}){critical}", lapsed))
            for free, free_params in sources:
                if len(items) >= limit:
                    break
                sql, params = self._claim_sql(free, free_params, sorted(platforms), live, limit - len(items))
                items.extend(item_from_row(row) for row in await self._db.fetch_all(sql, params))
            for owner in lapsed:  # a dead owner whose rows are all taken over is forgotten
                await self._db.execute(
                    "DELETE FROM notify_delivery_leases WHERE owner = ? AND NOT EXISTS"
                    " (SELECT 1 FROM notify_outbox WHERE claimed_by = ? AND state = 'pending')", (owner, owner))
        return sorted(items, key=lambda item: item.id)

    async def renew(self) -> set[int] | None:
        """Extend the lease. None when it was still live; after a lapse, the ids of the rows still held (the
        others were taken by another process) — `on_lapse` is told the same."""
        async with self._db.transaction():
            return await self._hold(self._clock())

    async def held(self) -> set[int]:
        """The ids of the pending rows this owner holds."""
        rows = await self._db.fetch_all(
            "SELECT id FROM notify_outbox WHERE claimed_by = ? AND state = 'pending'", (self.owner,))
        return {int(row[0]) for row in rows}

    async def release(self) -> int:
        """Hand back every pending row this owner holds and end its lease (an orderly stop); returns how many
        rows, and tells other processes at once."""
        async with self._db.transaction():
            result = await self._db.execute(
                "UPDATE notify_outbox SET claimed_by = NULL WHERE claimed_by = ? AND state = 'pending'", (self.owner,))
            await self._db.execute("DELETE FROM notify_delivery_leases WHERE owner = ?", (self.owner,))
            if result.rowcount:
                await self._db.notify(OUTBOX_CHANNEL, "")
        self._holding = False
        return result.rowcount

    async def end_dead_local_leases(self) -> list[str]:
        """End at once the leases of delivery processes on this host that are gone (a kill -9 or a crash
        before this start), so a restarted bot delivers what they held now, not after their lease lapses.

        An owner is `host:pid:random` (`delivery_owner`); it is known dead when its host is this host and its
        pid is no process here, or is this process's own pid under another owner name (a container restarted
        as pid 1). Owners on other hosts, and live pids, are left to their lease. Returns the owners ended."""
        host, me = socket.gethostname(), os.getpid()
        dead: list[str] = []
        for row in await self._db.fetch_all("SELECT owner FROM notify_delivery_leases WHERE owner <> ?",
                                            (self.owner,)):
            owner = str(row[0])
            owner_host, _, rest = owner.rpartition(":")[0].rpartition(":")
            if owner_host == host and rest.isdigit() and _gone(int(rest), me):
                dead.append(owner)
        if dead:  # lapsed now: the next claim takes their rows first, then forgets them
            lapsed = to_db(self._clock() - timedelta(microseconds=1))
            async with self._db.transaction():
                for owner in dead:
                    await self._db.execute(
                        "UPDATE notify_delivery_leases SET lease_until = ? WHERE owner = ?", (lapsed, owner))
                await self._db.notify(OUTBOX_CHANNEL, "")
        return dead

    # -- marks that change a row only while this owner holds it -----------------------------

    async def mark_sent(self, ids: Iterable[int]) -> int:
        return await self._outbox.mark_sent(ids, owner=self.owner)

    async def mark_failed(self, ids: Iterable[int], error: str) -> int:
        return await self._outbox.mark_failed(ids, error, owner=self.owner)

    async def mark_undeliverable(self, ids: Iterable[int], reason: str) -> int:
        return await self._outbox.mark_undeliverable(ids, reason, owner=self.owner)

    async def record_failure(self, ids: Iterable[int], error: str) -> None:
        await self._outbox.record_failure(ids, error, owner=self.owner)

    async def mark_chat_undeliverable(self, chat_id: str, reason: str) -> int:
        """Every pending item of a chat that refuses the bot, whoever holds it (they would all be refused)."""
        return await self._outbox.mark_chat_undeliverable(chat_id, reason)

    # -- internals --------------------------------------------------------------------------

    async def _hold(self, now: datetime) -> set[int] | None:
        """Inside a transaction: take the claim lock and extend this owner's lease; after a lapse, the rows
        still held (and `on_lapse` told)."""
        if self._db.dialect == "postgresql":
            await self._db.fetch_all("SELECT pg_advisory_xact_lock(?)", (CLAIM_LOCK_KEY,))
        at, until = to_db(now), to_db(now + self.lease)
        live = await self._db.fetch_all(
            "UPDATE notify_delivery_leases SET lease_until = ? WHERE owner = ? AND lease_until >= ? RETURNING owner",
            (until, self.owner, at))
        if live:
            return None
        await self._db.execute(
            "INSERT INTO notify_delivery_leases (owner, lease_until) VALUES (?, ?)"
            " ON CONFLICT (owner) DO UPDATE SET lease_until = excluded.lease_until", (self.owner, until))
        if not self._holding:  # the first claim (or the first after a release): nothing was held
            self._holding = True
            return None
        still = await self.held()
        if self.on_lapse is not None:
            self.on_lapse(still)
        return still

    def _claim_sql(
        self, free: str, free_params: list[str], platforms: list[str], live: list[str], limit: int
    ) -> tuple[str, tuple[object, ...]]:
        """One claim statement: free rows of these platforms, none of a chat that a `live` owner holds rows of."""
        held_elsewhere = ""
        if live:
            held_elsewhere = (" AND chat_id NOT IN (SELECT chat_id FROM notify_outbox WHERE state = 'pending'"
                              f" AND claimed_by IN ({_marks(len(live))}))")
        sql = (
            f"UPDATE notify_outbox SET claimed_by = ? WHERE id IN ("
            f"SELECT id FROM notify_outbox WHERE state = 'pending' AND {free}"
            f" AND platform IN ({_marks(len(platforms))}){held_elsewhere}"
            f" ORDER BY id LIMIT ?{self._db.skip_locked}) RETURNING {ITEM_COLUMNS}"
        )
        return sql, (self.owner, *free_params, *platforms, *live, limit)


def _gone(pid: int, me: int) -> bool:
    """Whether no process `pid` runs here (this process's own pid counts as gone: it is not that owner)."""
    if pid == me:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def _marks(count: int) -> str:
    return ", ".join("?" * count)
