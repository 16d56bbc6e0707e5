"""Cold start: each id range of active price rules arrives as one row of JSON arrays, one per column.

Fetching a million rows of 22 values costs ~22 million Python objects made by the driver; here
the database builds each column as one JSON text (in C, in the database thread or server, overlapping
the Python work on the previous range) and `json.loads` turns it into a list in one call. Timestamps
are converted to exact integer microseconds in SQL when they have the fixed form `to_db` writes;
anything else comes back as text and is parsed in Python. Columns most rules leave empty come as
[id, value] pairs of only the rules that have a value. SQLite (RANGE_SQL: json_group_array) and
PostgreSQL (POSTGRES_RANGE_SQL: json_agg ordered by id) give the same row.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import sqlite3
import sys
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.price_columns import CONDITION_CODE_BY_TEXT, MODE_CODE_BY_TEXT, PriceColumns, us_of_db
from fxbot.alerts.price_table import F_ARMED, F_LIVE, F_PAUSED
from fxbot.alerts.rows import parse_recent
from fxbot.storage.database import Database

ACTIVE_PRICE = "kind = 'price' AND done = 0 AND expired_reported = 0"
ID_RANGE = 20_000
"""Rule ids per query: under 10 MB of transient Python objects per range."""


def _micros(column: str) -> str:
    fixed = (f"length({column}) = 32 AND {column} >= '1970' AND substr({column}, 20, 1) = '.'"
             f" AND substr({column}, 27) = '+00:00'")
    exact = f"unixepoch(substr({column}, 1, 19)) * 1000000 + substr({column}, 21, 6)"  # SQLite rounds to ms
    return f"CASE WHEN {fixed} THEN {exact} ELSE {column} END"


def _codes(column: str, codes: dict[str, int]) -> str:
    return f"CASE {column} " + " ".join(f"WHEN '{text}' THEN {code}" for text, code in codes.items()) + " END"


def _sparse(value: str, where: str) -> str:
    return f"json_group_array(json_array(id, {value})) FILTER (WHERE {where})"


def _columns(micros: Callable[[str], str], ifnull: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The range query's columns: one value per rule (dense), and (value, when present) pairs (sparse)."""
    dense = [
        "id", "account_id", "symbol", "side", "digits", "chat_id", "owner_id", "level_points",
        f"{ifnull}(last_points, -9223372036854775807 - 1)", micros("created_at"), "fire_seq",
        _codes("condition", CONDITION_CODE_BY_TEXT), _codes("mode", MODE_CODE_BY_TEXT),
        f"{F_LIVE} + {F_ARMED} * armed + {F_PAUSED} * paused",
    ]
    sparse = [
        ("rearm_band", "rearm_band IS NOT NULL"),
        ("hysteresis_points", "hysteresis_points IS NOT NULL"),
        ("repeat_minutes", "repeat_minutes IS NOT NULL AND repeat_minutes <> 0"),
        (micros("expires_at"), "expires_at IS NOT NULL"),
        (micros("last_fired_at"), "last_fired_at IS NOT NULL"),
        ("note", "note IS NOT NULL AND note <> ''"),
        ("recent_fires", "recent_fires <> ''"),
    ]
    return dense, sparse


def _range_sql(dense_of: Callable[[str], str], sparse_of: Callable[[str, str], str],
               micros: Callable[[str], str], ifnull: str) -> str:
    """One id range of active price rules as one row of JSON arrays, in a dialect's functions."""
    dense, sparse = _columns(micros, ifnull)
    return (f"SELECT count(*), {', '.join(dense_of(c) for c in dense)},"
            f" {', '.join(sparse_of(value, where) for value, where in sparse)}"
            f" FROM alert_rules WHERE {ACTIVE_PRICE} AND id > ? AND id <= ?")


RANGE_SQL = _range_sql(lambda column: f"json_group_array({column})", _sparse, _micros, "ifnull")


def _pg_micros(column: str) -> str:
    fixed = (f"length({column}) = 32 AND {column} >= '1970' AND substr({column}, 20, 1) = '.'"
             f" AND substr({column}, 27) = '+00:00'")
    exact = (f"extract(epoch FROM substr({column}, 1, 19)::timestamp)::bigint * 1000000"
             f" + substr({column}, 21, 6)::bigint")
    return f"CASE WHEN {fixed} THEN to_json({exact}) ELSE to_json({column}) END"


def _pg_dense(value: str) -> str:
    return f"coalesce(json_agg({value} ORDER BY id), '[]')::text"


def _pg_sparse(value: str, where: str) -> str:
    return f"coalesce(json_agg(json_build_array(id, {value}) ORDER BY id) FILTER (WHERE {where}), '[]')::text"


POSTGRES_RANGE_SQL = _range_sql(_pg_dense, _pg_sparse, _pg_micros, "coalesce")
ID_BOUNDS_SQL = "SELECT (SELECT min(id) FROM alert_rules), (SELECT max(id) FROM alert_rules)"


def _epoch(value: int | str) -> float:
    return (value if isinstance(value, int) else us_of_db(value)) / 1e6


def columns_from_row(row: Sequence[Any]) -> PriceColumns:
    """The PriceColumns of one RANGE_SQL (or POSTGRES_RANGE_SQL) result row."""
    loads = json.loads
    (_count, ids, account, symbol, side, digits, chat, owner, level, last, created, fire_seq, condition, mode,
     flags, bands, hysteresis, repeat, expires, last_fired, notes, recent) = row
    created_values = loads(created)
    try:
        created_us = array("q", created_values)
    except TypeError:  # some timestamps were not in the fixed form: parse those here
        created_us = array("q", [v if isinstance(v, int) else us_of_db(v) for v in created_values])
    return PriceColumns(
        ids=array("q", loads(ids)), account=loads(account), symbol=loads(symbol), side=loads(side),
        digits=array("b", loads(digits)), chat=loads(chat), owner=loads(owner), level=array("q", loads(level)),
        last=array("q", loads(last)), created_us=created_us, fire_seq=array("I", loads(fire_seq)),
        condition=array("B", loads(condition)), mode=array("B", loads(mode)), flags=array("B", loads(flags)),
        rearm_band=dict(loads(bands)), hysteresis=dict(loads(hysteresis)), repeat=dict(loads(repeat)),
        expires={i: _epoch(v) for i, v in loads(expires)}, last_fired={i: _epoch(v) for i, v in loads(last_fired)},
        notes=dict(loads(notes)), recent={i: parse_recent(v) for i, v in loads(recent)},
    )


async def load_price_rules(db: Database, engine: AlertEngine, *, id_range: int = ID_RANGE) -> int | None:
    """Stream every active price rule into the engine (not finished: the caller calls finish_loading).

    Returns how many were loaded, or None when this SQLite lacks what the query needs (JSON
    functions, unixepoch: SQLite 3.38+) and nothing was loaded (the caller then streams lean rows,
    AlertRepository._load_lean_rows).
    """
    range_sql = POSTGRES_RANGE_SQL if db.dialect == "postgresql" else RANGE_SQL
    bounds = await db.fetch_one(ID_BOUNDS_SQL)
    if bounds is None or bounds[0] is None:
        return 0
    low, high = int(bounds[0]) - 1, int(bounds[1])
    step = max(1, int(id_range))
    try:
        row = await db.fetch_one(range_sql, (low, min(low + step, high)))
    except sqlite3.OperationalError:
        return None
    count = 0
    low += step
    while row is not None:
        more = None
        if low < high:
            # fetch the next range (in the database thread) while this one becomes columns
            more = asyncio.ensure_future(db.fetch_one(range_sql, (low, min(low + step, high))))
            await asyncio.sleep(0)  # let the fetch reach the database thread before the CPU work
            await asyncio.sleep(0)
            low += step
        try:
            if row[0]:
                count += engine.load_price_columns(columns_from_row(tuple(row)))
        except BaseException:
            if more is not None:
                more.cancel()
            raise
        row = await more if more is not None else None
    return count


def release_unused_heap() -> None:
    """Hand the heap pages freed after a cold load back to the OS (glibc keeps them otherwise).

    A load turns ~20 MB of transient objects per range into compact arrays; glibc keeps the
    freed pages of its heap and of the database thread's arena as resident memory, some 20-40 MB
    at a million rules, until malloc_trim. Elsewhere (macOS, musl) this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
