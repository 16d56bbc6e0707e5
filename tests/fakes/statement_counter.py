"""Counts the SQL statements sent through a database gateway (for tests that bound how much a command reads)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fxbot.storage import Database


class StatementCounter:
    """Wraps a gateway's execute / execute_many / fetch_all on the instance (fetch_one and fetch_value go
    through fetch_all) and records each statement's SQL; `sql.clear()` starts a new count."""

    def __init__(self, db: Database) -> None:
        self.sql: list[str] = []
        for name in ("execute", "execute_many", "fetch_all"):
            setattr(db, name, self._counted(getattr(db, name)))

    def _counted(self, method: Callable[..., Any]) -> Callable[..., Any]:
        async def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
            self.sql.append(sql)
            return await method(sql, *args, **kwargs)

        return counted

    def reads_of(self, table: str) -> int:
        """How many SELECTs read `table` (by `FROM table ` or `JOIN table `)."""
        return sum(1 for sql in self.sql if sql.lstrip().upper().startswith("SELECT")
                   and (f"FROM {table} " in sql or f"JOIN {table} " in sql))
