"""Benchmark: cold load of the alert rules from PostgreSQL vs SQLite (and PostgreSQL's lean-rows fallback).

Run: `.venv/bin/python benchmarks/bench_postgres_load.py [--sizes 100000,1000000] [--url postgresql://…]`.
Without --url a throw-away cluster is started (tests/postgres_server.py; as root it runs as `postgres`).
The same rules (benchmarks/alerts_engine.make_rules) are written to a SQLite file and to a PostgreSQL
database with AlertRepository.add_many, then loaded into a fresh AlertEngine three ways: SQLite (JSON
columns per id range), PostgreSQL (the same, json_agg), PostgreSQL lean rows (one row per rule). Each load
is run twice and the faster one is kept. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.alerts_engine import make_rules
from fxbot.alerts.cold_load import load_price_rules
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.repository import LOAD_CHUNK, AlertRepository
from fxbot.storage import Database, open_database
from tests.postgres_server import PostgresServer

BATCH = 50_000


async def fill(db: Database, n: int) -> float:
    repo = AlertRepository(db)
    start = time.perf_counter()
    for chunk in range(0, n, BATCH):
        await repo.add_many(make_rules(min(BATCH, n - chunk), seed=chunk + 1))
    return time.perf_counter() - start


async def timed_load(db: Database, how: str) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(2):
        engine = AlertEngine()
        gc.collect()
        start = time.perf_counter()
        if how == "lean":
            count = await AlertRepository(db)._load_lean_rows(engine, LOAD_CHUNK)
        else:
            count = await load_price_rules(db, engine) or 0
        engine.finish_loading()
        best = min(best, time.perf_counter() - start)
        del engine
    return best, count


async def measure(n: int, url: str, folder: Path) -> dict[str, float | int]:
    sqlite_db = await open_database(folder / f"bench_{n}.db")
    pg = await open_database(url)
    try:
        insert_sqlite = await fill(sqlite_db, n)
        insert_pg = await fill(pg, n)
        sqlite_s, sqlite_n = await timed_load(sqlite_db, "json")
        pg_s, pg_n = await timed_load(pg, "json")
        lean_s, lean_n = await timed_load(pg, "lean")
    finally:
        await sqlite_db.close()
        await pg.close()
    assert sqlite_n == pg_n == lean_n == n, (sqlite_n, pg_n, lean_n)
    return {"rules": n, "insert_sqlite_s": insert_sqlite, "insert_postgres_s": insert_pg,
            "load_sqlite_s": sqlite_s, "load_postgres_s": pg_s, "load_postgres_lean_s": lean_s}


async def run(sizes: list[int], url: str | None, server: PostgresServer | None, folder: Path) -> None:
    for n in sizes:
        target = url or await server.create_database()  # type: ignore[union-attr]
        result = await measure(n, target, folder)
        if server is not None:
            await server.drop_database(target)
        print(json.dumps(result))
        print(f"{n:>9} rules: cold load SQLite {result['load_sqlite_s']:.2f} s,"
              f" PostgreSQL {result['load_postgres_s']:.2f} s (lean rows {result['load_postgres_lean_s']:.2f} s);"
              f" insert SQLite {result['insert_sqlite_s']:.1f} s, PostgreSQL {result['insert_postgres_s']:.1f} s",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated rule counts (default 100000)")
    parser.add_argument("--url", help="an empty PostgreSQL database to use (default: a throw-away cluster)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.url is not None and len(sizes) > 1:
        parser.error("--url takes one size (the database must start empty)")
    server = None
    if args.url is None:
        server = PostgresServer()
        server.start()
        asyncio.run(server.make_template())
    try:
        with tempfile.TemporaryDirectory() as folder:
            asyncio.run(run(sizes, args.url, server, Path(folder)))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
