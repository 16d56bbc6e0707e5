"""Benchmark: outbox delivery rate with the lease, one and two delivery processes, on SQLite and PostgreSQL.

Run: `.venv/bin/python benchmarks/outbox_lease.py [--items 20000] [--chats 2000] [--sqlite-only] [--url URL]`.
Without --url (and without --sqlite-only) a throw-away PostgreSQL cluster is started (tests/postgres_server.py;
as root it runs as `postgres`).

A backlog of `items` notifications over `chats` chats is stored first; then one or two notifiers (each on its
own gateway of the same database: two delivery processes) deliver it to an instant in-memory target with the
platform pacing switched off and no coalescing window, so the figures measure the outbox (claims, marks) and
the notifier, not a platform. Each run checks that every notification reached the target exactly once. Then
the cost of one claim that finds nothing new is measured with `held` rows already claimed (what every wake-up
pays while a backlog waits on pacing). Prints figures only; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.lease import OutboxLease
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.notifier import Notifier
from fxbot.notify.outbox import Outbox, OutboxState
from fxbot.notify.pacing import PacingLimits
from fxbot.storage import Database, open_database
from tests.postgres_server import PostgresServer

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
UNPACED = {"telegram": PacingLimits(per_chat_rate=None, group_per_minute=None, global_per_second=None)}
KEY = re.compile(r"n-\d+")


class Recorder:
    """An instant delivery target counting every notification it was given."""

    platform = "telegram"
    message_limit: int | None = 4096

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.messages = 0

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        self.messages += 1
        self.keys.update(KEY.findall(reply.plain_text))


def notification(i: int, chats: int) -> Notification:
    return Notification(f"telegram:{i % chats}", Severity.INFO, f"n-{i}", ("EURUSD 1.0901",), f"n-{i}",
                        "price_alert", created_at=T0)


async def fill(db: Database, items: int, chats: int) -> None:
    outbox = Outbox(db)
    for start in range(0, items, 5000):
        await outbox.enqueue_many([notification(i, chats) for i in range(start, min(items, start + 5000))])


async def deliver(location: str | Path, items: int, chats: int, processes: int) -> dict[str, object]:
    front = await open_database(location)
    gateways = [await open_database(location) for _ in range(processes)]
    try:
        await fill(front, items, chats)
        recorders = [Recorder() for _ in gateways]
        notifiers = [Notifier(Outbox(db), {"telegram": rec}, coalesce_s=0.0, limits=UNPACED, owner=f"p{n}")
                     for n, (db, rec) in enumerate(zip(gateways, recorders, strict=True))]
        start = time.perf_counter()
        done = await asyncio.gather(*(n.drain(600) for n in notifiers))
        elapsed = time.perf_counter() - start
        sent = (await Outbox(front).counts())[OutboxState.SENT]
    finally:
        for db in (front, *gateways):
            await db.close()
    total: Counter[str] = sum((r.keys for r in recorders), Counter())
    return {
        "processes": processes, "items": items, "chats": chats, "drained": all(done), "seconds": round(elapsed, 3),
        "items_per_s": round(items / elapsed), "messages": sum(r.messages for r in recorders),
        "split": [n.items_delivered for n in notifiers], "recorded_sent": sent,
        "exactly_once": len(total) == items and set(total.values()) == {1},
    }


async def empty_claim(location: str | Path, held: int, chats: int) -> float:
    """Median seconds of a claim that finds nothing new while `held` rows are claimed (by this owner)."""
    db = await open_database(location)
    try:
        await fill(db, held, chats)
        lease = OutboxLease(Outbox(db), "p0")
        while await lease.claim({"telegram"}, 1000):
            pass
        times = []
        for _ in range(21):
            start = time.perf_counter()
            await lease.claim({"telegram"}, 1000)
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]
    finally:
        await db.close()


async def run(args: argparse.Namespace, server: PostgresServer | None, folder: Path) -> None:
    backends: list[str] = ["sqlite"] if args.sqlite_only else ["sqlite", "postgresql"]
    counter = iter(range(1_000_000))

    async def location(backend: str) -> str | Path:
        if backend == "sqlite":
            return folder / f"bench_{next(counter)}.db"
        return args.url or await server.create_database()  # type: ignore[union-attr]

    for backend in backends:
        for processes in (1, 2):
            result = await deliver(await location(backend), args.items, args.chats, processes)
            print(json.dumps({"backend": backend, **result}), flush=True)
        for held in (1000, 10000):
            seconds = await empty_claim(await location(backend), held, args.chats)
            print(json.dumps({"backend": backend, "held": held, "empty_claim_ms": round(seconds * 1000, 2)}),
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--url", help="an empty PostgreSQL database (one run only: it must start empty)")
    args = parser.parse_args()
    server = None
    if args.url is None and not args.sqlite_only:
        server = PostgresServer()
        server.start()
        asyncio.run(server.make_template())
    try:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(run(args, server, Path(folder)))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
