"""A delivery process's lease on outbox rows: claim a batch, renew it, finish only rows still held, release on stop."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Collection, Iterable
from datetime import timedelta

from fxbot.notify.outbox import ITEM_COLUMNS, OUTBOX_CHANNEL, Outbox, OutboxItem, item_from_row
from fxbot.storage.timestamps import to_db

DEFAULT_LEASE = timedelta(seconds=20)
"""How long a claim holds without renewal: the bound on how long a dead delivery process's items wait."""

CLAIM_LOCK_KEY = 0x66786F7574626F78  # PostgreSQL advisory lock that serialises claims ("fxoutbox")


def delivery_owner() -> str:
    """A name for this delivery process, unique per start (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class OutboxLease:
    """The outbox rows one delivery process holds: `claimed_by` = its owner name, `lease_until` = when it lapses.

    `claim` takes pending rows of the given platforms that nobody holds (or whose lease lapsed), oldest first,
    but never a row of a chat another live lease holds rows of: one chat is served by one process at a time, so
    its messages keep their order and its pacing. Claims are serialised (SQLite: the one writer; PostgreSQL:
    an advisory transaction lock) so that per-chat rule is exact, and `db.skip_locked` keeps a claim from
    waiting on rows another process is finishing. `renew` extends every row still held and says which they
    are; the marks change a row only while this owner still holds it; `release` hands back what is left.
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

    def __repr__(self) -> str:
        return f"OutboxLease(owner={self.owner!r}, lease={self.lease.total_seconds():g}s)"

    async def claim(self, platforms: Collection[str], limit: int) -> list[OutboxItem]:
        """Claim up to `limit` deliverable rows for these platforms, oldest first (see the class docstring).

        Lapsed rows first, then unclaimed ones; each found through the lease index in id order, never by
        walking the rows this process already holds, and the chats other live leases hold are read once per
        claim (a hashed NOT IN), so a claim stays cheap with a large backlog and with no table statistics."""
        if not platforms or limit < 1:
            return []
        now = self._clock()
        at, until = to_db(now), to_db(now + self.lease)
        kinds = sorted(platforms)
        items: list[OutboxItem] = []
        async with self._db.transaction():
            if self._db.dialect == "postgresql":
                await self._db.fetch_all("SELECT pg_advisory_xact_lock(?)", (CLAIM_LOCK_KEY,))
            for free, free_params in (("lease_until < ?", (at,)), ("lease_until IS NULL", ())):
                if len(items) >= limit:
                    break
                rows = await self._db.fetch_all(
                    self._claim_sql(free, len(kinds)),
                    (self.owner, until, *free_params, *kinds, at, self.owner, limit - len(items)))
                items.extend(item_from_row(row) for row in rows)
        return sorted(items, key=lambda item: item.id)

    def _claim_sql(self, free: str, platforms: int) -> str:
        marks = ", ".join("?" * platforms)
        return (
            f"UPDATE notify_outbox SET claimed_by = ?, lease_until = ? WHERE id IN ("
            f"SELECT id FROM notify_outbox WHERE state = 'pending' AND {free} AND platform IN ({marks})"
            " AND chat_id NOT IN (SELECT chat_id FROM notify_outbox WHERE state = 'pending'"
            " AND lease_until >= ? AND claimed_by <> ?)"
            f" ORDER BY id LIMIT ?{self._db.skip_locked}) RETURNING {ITEM_COLUMNS}"
        )

    async def renew(self) -> set[int]:
        """Extend the lease of every pending row this owner holds; returns their ids (a row missing was lost)."""
        rows = await self._db.fetch_all(
            "UPDATE notify_outbox SET lease_until = ? WHERE claimed_by = ? AND state = 'pending' RETURNING id",
            (to_db(self._clock() + self.lease), self.owner),
        )
        return {int(row[0]) for row in rows}

    async def release(self) -> int:
        """Hand back every pending row this owner holds (an orderly stop); other processes are told at once."""
        result = await self._db.execute(
            "UPDATE notify_outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ? AND state = 'pending'",
            (self.owner,),
        )
        if result.rowcount:
            await self._db.notify(OUTBOX_CHANNEL, "")
        return result.rowcount

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
