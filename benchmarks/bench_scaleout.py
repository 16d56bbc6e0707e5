"""Benchmark: scale-out in one run — alert and notification throughput of real `fxbot run` processes with 1, 2
and 4 workers on PostgreSQL vs one process on SQLite; the cold load of 1M rules from PostgreSQL; the outbox
delivery rate with the lease.

Run: `.venv/bin/python benchmarks/bench_scaleout.py [--chats-per-key 25] [--levels 10] [--rounds 3]
[--cold-load 1000000] [--outbox-items 20000]` (`--cold-load 0` / `--outbox-items 0` skip those parts).
A throw-away PostgreSQL cluster is started (tests/postgres_server.py; as root it runs as `postgres`).

Throughput: the loopback cluster of the multi-process test (tests/e2e/multiprocess_cluster.py): the simulator
in this process, the fake Telegram Bot API over HTTP, 8 keys (4 per simulator account), `chats-per-key` private
chats per key and `levels × rounds` once-rules per chat (EURUSD bid crossing up). Each round moves the bid
through `levels` levels of every chat at once: `chats × levels` alerts fire together. Measured per round, from
the price step: until every firing's notification is in the outbox (alerts/s: evaluate, persist the fire state,
enqueue) and until every one reached the Bot API (notifications/s: claim, coalesce per chat, pace, send —
Telegram pacing is real here: 30 messages/s per bot, so a backlog per chat goes out grouped). Layouts:
SQLite `--role all`; PostgreSQL `--role all`; PostgreSQL with 1 delivery + 1, 2 and 4 workers. CPU-seconds of
the fxbot processes and of the PostgreSQL server (from /proc) over the measured rounds, and the machine's load
average, are printed with each layout. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_postgres_load, outbox_lease
from fxbot.simulator.runner import start_simulator
from tests.conftest import sim_test_config
from tests.e2e.multiprocess_cluster import START_BID, Cluster, cluster_on, seed
from tests.postgres_server import PostgresServer
from tests.waiting import eventually

KEYS_PER_ACCOUNT = 4
LEVEL_STEP = 10  # points between two levels of one round
ROUND_STEP = 200  # points between rounds
HANG_S = 600.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    backend: str  # "sqlite" | "postgresql"
    workers: int  # 0: one `--role all` process


LAYOUTS = (Layout("sqlite-all", "sqlite", 0), Layout("postgres-all", "postgresql", 0),
           Layout("postgres-1w", "postgresql", 1), Layout("postgres-2w", "postgresql", 2),
           Layout("postgres-4w", "postgresql", 4))


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of a process (and of its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    used = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return used / TICKS


def postgres_cpu(server: PostgresServer | None) -> float:
    """The PostgreSQL server's CPU: the postmaster with its reaped backends, plus the live backends."""
    if server is None:
        return 0.0
    try:
        master = int((server.data / "postmaster.pid").read_text().split()[0])
    except OSError:
        return 0.0
    total = cpu_seconds(master, children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += cpu_seconds(int(stat.parent.name))
    return total


def levels_of(round_no: int, levels: int) -> list[int]:
    base = round(START_BID * 1e5) + ROUND_STEP * (round_no + 1)
    return [base + LEVEL_STEP * n for n in range(levels)]


async def outbox_rows(cluster: Cluster) -> int:
    return sum((await cluster.outbox_counts()).values())


async def run_layout(layout: Layout, args: argparse.Namespace, server: PostgresServer | None, folder: Path) -> dict[
        str, object]:
    work = folder / layout.name
    work.mkdir()
    database = str(work / "fxbot.db") if server is None or layout.backend == "sqlite" else \
        await server.create_database()
    all_levels = [level for r in range(args.rounds) for level in levels_of(r, args.levels)]
    async with await start_simulator(sim_test_config(paused=True)) as sim, \
            cluster_on(database, sim, work, **({} if layout.workers == 0 else {"lease_s": 4.0, "renew_s": 1.0})) \
            as cluster:
        await cluster.set_bid(START_BID)
        seeded = await seed(cluster, chats_per_key=args.chats_per_key, levels=all_levels,
                            keys_per_account=KEYS_PER_ACCOUNT)
        if layout.workers == 0:
            await cluster.start("bot")
        else:
            await cluster.start("delivery", "delivery")
            for n in range(layout.workers):
                await cluster.start(f"w{n + 1}", "worker")
        await cluster.wait_streaming(list(seeded.keys.values()), within_s=HANG_S)
        if layout.workers:
            workers = {f"w{n + 1}" for n in range(layout.workers)}
            await eventually(lambda: _settled(cluster, workers), "the partitions split", within_s=HANG_S, poll_s=0.2)
        await asyncio.sleep(2.0)  # let start-up work (first reconcile, pacing warm-up) pass before measuring
        pids = [bot.process.pid for bot in cluster.processes.values()]
        cpu0, pg0, load0 = sum(cpu_seconds(p) for p in pids), postgres_cpu(server), os.getloadavg()
        rounds: list[dict[str, float]] = []
        expected = 0
        for r in range(args.rounds):
            wave = [a for a in seeded.alerts if a.level_points in set(levels_of(r, args.levels))]
            expected += len(wave)
            start = time.perf_counter()
            await cluster.set_bid((levels_of(r, args.levels)[-1] + 5) / 1e5)

            async def all_enqueued(n: int = expected) -> bool:
                return await outbox_rows(cluster) >= n

            await eventually(all_enqueued, "the outbox rows", within_s=HANG_S, poll_s=0.02)
            enqueued = time.perf_counter() - start
            await cluster.wait_told(wave, within_s=HANG_S)
            delivered = time.perf_counter() - start
            rounds.append({"alerts": len(wave), "enqueued_s": round(enqueued, 3), "delivered_s": round(delivered, 3),
                           "alerts_per_s": round(len(wave) / enqueued), "notifications_per_s":
                           round(len(wave) / delivered), "messages": len(cluster.alert_messages())})
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        pg = postgres_cpu(server) - pg0
        load1 = os.getloadavg()
        told = cluster.told()
        exactly_once = len(told) == expected and set(told.values()) == {1}
        await cluster.stop_all()
    if server is not None and layout.backend == "postgresql":
        await server.drop_database(database)
    total_alerts = sum(r["alerts"] for r in rounds)
    return {"layout": layout.name, "chats": len(seeded.chats()), "keys": len(seeded.keys), "rounds": rounds,
            "alerts_per_s_median": median([r["alerts_per_s"] for r in rounds]),
            "notifications_per_s_median": median([r["notifications_per_s"] for r in rounds]),
            "fxbot_cpu_s": round(cpu, 2), "postgres_cpu_s": round(pg, 2),
            "cpu_ms_per_alert": round(1000 * (cpu + pg) / max(1, total_alerts), 3),
            "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in load1],
            "exactly_once": exactly_once}


async def _settled(cluster: Cluster, workers: set[str]) -> bool:
    leases = await cluster.lease_owners()
    holders = {owner for name, owner in leases.items() if name.startswith("partition:")}
    return holders == workers and sum(1 for name in leases if name.startswith("partition:")) == 32


async def run(args: argparse.Namespace, server: PostgresServer, folder: Path) -> None:
    print(json.dumps({"cpus": os.cpu_count(), "load": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    for layout in LAYOUTS:
        if args.layouts and layout.name not in args.layouts:
            continue
        result = await run_layout(layout, args, server, folder)
        print(json.dumps(result), flush=True)
    if args.outbox_items:
        for backend in ("sqlite", "postgresql"):
            for processes in (1, 2):
                location = folder / f"outbox_{processes}.db" if backend == "sqlite" else await server.create_database()
                rate = await outbox_lease.deliver(location, args.outbox_items, 2000, processes)
                print(json.dumps({"outbox_lease": backend, **rate, "load": os.getloadavg()[0]}), flush=True)
    if args.cold_load:
        url = await server.create_database()
        cold = await bench_postgres_load.measure(args.cold_load, url, folder)
        await server.drop_database(url)
        print(json.dumps({"cold_load": cold, "load": os.getloadavg()[0]}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--chats-per-key", type=int, default=25)
    parser.add_argument("--levels", type=int, default=10, help="rules per chat crossed by one round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold-load", type=int, default=1_000_000, help="rules for the cold load (0: skip)")
    parser.add_argument("--outbox-items", type=int, default=20_000, help="backlog for the outbox rate (0: skip)")
    parser.add_argument("--layouts", nargs="*", default=[], help=f"only these of {[x.name for x in LAYOUTS]}")
    args = parser.parse_args()
    server = PostgresServer()
    server.start()
    try:
        asyncio.run(server.make_template())
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(run(args, server, Path(folder)))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
