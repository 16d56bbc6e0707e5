"""Readiness for /readyz: every enabled adapter running, the database writable, each key's stream connected
or reconnecting within its budget — each part with a one-line reason when it is not."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fxbot.adapter_startup import AdapterStarter
from fxbot.chat.adapter import ChatAdapter
from fxbot.storage.database import Database
from fxbot.storage.errors import StorageError
from fxbot.storage.timestamps import to_db
from fxbot.stream.status import SessionStatus

DB_PROBE_TIMEOUT_S = 2.0
_PROBE_ROW = "ops_ready_probe"


class StreamStatuses(Protocol):
    """The stream pump, as readiness sees it."""

    def statuses(self) -> list[SessionStatus]: ...


@dataclass(frozen=True, slots=True)
class Part:
    """One adapter, the database, or one key's stream: ready or not, and why."""

    ok: bool
    detail: str
    state: str | None = None  # a stream's: connected, reconnecting or refused


@dataclass(slots=True)
class Check:
    """One area (adapters, database, streams) and its parts; ready when every part is."""

    parts: dict[str, Part] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(part.ok for part in self.parts.values())

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "parts": {name: {"ok": p.ok, "detail": p.detail} for name, p in self.parts.items()}}


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    checks: dict[str, Check]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks.values())

    def stream_states(self) -> dict[str, int]:
        """How many key streams are connected, reconnecting (within or over budget) or refused."""
        states = {"connected": 0, "reconnecting": 0, "refused": 0}
        for part in self.checks["streams"].parts.values():
            if part.state in states:
                states[part.state] += 1
        return states

    def as_json(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "not_ready": [name for name, check in self.checks.items() if not check.ok],
            "checks": {name: check.as_json() for name, check in self.checks.items()},
        }


class Readiness:
    """Answers "can this bot serve?" from the running app's parts; `starter()` is None until run() starts."""

    def __init__(self, *, db: Database, adapters: Sequence[ChatAdapter], starter: Callable[[], AdapterStarter | None],
                 streams: StreamStatuses | None, clock: Callable[[], datetime], stream_budget_s: float) -> None:
        self._db = db
        self._adapters = adapters
        self._starter = starter
        self._streams = streams
        self._clock = clock
        self._budget_s = stream_budget_s
        self._started_at = clock()

    async def check(self) -> ReadinessReport:
        return ReadinessReport({
            "adapters": self._adapter_check(),
            "database": Check({"sqlite": await self._database_part()}),
            "streams": self._stream_check(),
        })

    def stream_states(self) -> dict[str, int]:
        """Key streams by state, without touching the database (for /metrics)."""
        return ReadinessReport({"streams": self._stream_check()}).stream_states()

    def _adapter_check(self) -> Check:
        starter = self._starter()
        check = Check()
        for adapter in self._adapters:
            check.parts[adapter.name] = _adapter_part(adapter, starter)
        return check

    async def _database_part(self) -> Part:
        """A real write (an upsert of one probe row), bounded in time: a locked, read-only or full database
        is not ready."""
        try:
            async with asyncio.timeout(DB_PROBE_TIMEOUT_S):
                await self._db.execute(
                    "INSERT INTO storage_meta (name, value) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (_PROBE_ROW, to_db(self._clock()).encode()))
        except TimeoutError:
            return Part(False, f"a write did not finish within {DB_PROBE_TIMEOUT_S:g} s (the database is busy)")
        except (sqlite3.Error, StorageError) as error:
            return Part(False, f"not writable: {error}")
        return Part(True, "writable")

    def _stream_check(self) -> Check:
        check = Check()
        if self._streams is None:
            return check
        now = self._clock()
        for status in self._streams.statuses():
            check.parts[f"key #{status.key_id}"] = self._stream_part(status, now)
        return check

    def _stream_part(self, status: SessionStatus, now: datetime) -> Part:
        if status.connected:
            return Part(True, "connected", "connected")
        if status.refused:
            return Part(False, f"FxSocket refused the key: {status.detail or 'retrying later'}", "refused")
        waited = max((now - (status.since or self._started_at)).total_seconds(), 0.0)
        why = status.detail or "not connected"
        if waited <= self._budget_s:
            return Part(True, f"reconnecting for {waited:.0f} s (within the {self._budget_s:g} s budget): {why}",
                        "reconnecting")
        return Part(False, f"not connected for {waited:.0f} s (over the {self._budget_s:g} s budget): {why}",
                    "reconnecting")


def _adapter_part(adapter: ChatAdapter, starter: AdapterStarter | None) -> Part:
    if starter is None:
        return Part(False, "starting")
    if any(running is adapter for running in starter.started):
        connected = getattr(adapter, "connected", None)  # an adapter may report its connection (optional)
        if connected is False:
            return Part(False, "disconnected from its platform")
        return Part(True, "running")
    if adapter.name in starter.failures:
        return Part(False, f"cannot start: {starter.failures[adapter.name]}")
    if adapter.name in starter.retrying:
        return Part(False, "not started yet; retrying")
    return Part(False, "starting")
