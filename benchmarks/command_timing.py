"""How the command benchmark measures a command: HTTP time inside the transport, statements through the database
gateway, a trace of both for slow runs, the samples per command and the collector's pauses."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from fxbot.app import App
from fxbot.backends.v1 import V1Backend
from fxbot.chat.types import Reply
from fxbot.domain.broker.factory import KeyKind


@dataclass(frozen=True)
class TraceEvent:
    """One statement through the database gateway or one HTTP exchange: what, which task, when (perf_counter)."""

    kind: str
    what: str
    task: str
    began: float
    ended: float


class Trace:
    """With `--trace`: every statement and HTTP exchange while commands run, to tell where a slow run's time
    went (a statement, another task's statement holding the gateway, an exchange, or none of them)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.events: list[TraceEvent] = []

    def add(self, kind: str, what: str, began: float) -> None:
        if self.enabled:
            task = asyncio.current_task()
            self.events.append(TraceEvent(kind, " ".join(what.split())[:90], task.get_name() if task else "-",
                                          began, time.perf_counter()))

    def during(self, began: float, ended: float) -> list[TraceEvent]:
        return [e for e in self.events if e.ended >= began and e.began <= ended]


class TimingTransport(httpx.AsyncBaseTransport):
    """Adds up the wall time during which at least one HTTP exchange is in flight (concurrent ones overlap)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, trace: Trace) -> None:
        self._inner = inner
        self._trace = trace
        self.spent = 0.0
        self.requests = 0
        self._in_flight = 0
        self._since = 0.0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        began = time.perf_counter()
        if self._in_flight == 0:
            self._since = began
        self._in_flight += 1
        self.requests += 1
        try:
            response = await self._inner.handle_async_request(request)
            await response.aread()
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self.spent += time.perf_counter() - self._since
            self._trace.add("http", f"{request.method} {request.url.path}", began)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def timed_and_unpaced(app: App, trace: Trace | None = None) -> TimingTransport:
    """Time the /v1 backend's HTTP exchanges (its shared client's transport wrapped in place) and lift its
    pacer (measurement only)."""
    backend = app.services.brokers._backends._backends[KeyKind.V1]  # type: ignore[attr-defined]
    assert isinstance(backend, V1Backend)
    backend.pacer.max_requests = 10**9
    http = backend._http
    timing = TimingTransport(http._transport, trace or Trace(False))
    http._transport = timing
    return timing


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class StatementCounter:
    """Counts the statements sent through a database gateway (its execute/execute_many/fetch_all, which
    fetch_one and fetch_value go through), by wrapping them on the instance."""

    def __init__(self, db: Any, trace: Trace) -> None:
        self.count = 0
        self._trace = trace
        for name in ("execute", "execute_many", "fetch_all"):
            setattr(db, name, self._counted(getattr(db, name)))

    def _counted(self, method: Callable[..., Any]) -> Callable[..., Any]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            began = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self._trace.add("sql", str(args[0]) if args else "?", began)

        return counted


@dataclass
class Samples:
    """One command's measurements over every round."""

    apis: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    cpu_s: float = 0.0
    runs: int = 0
    rounds: list[dict[str, list[float]]] = field(default_factory=list)  # per round: renderer -> overheads
    last: list[Reply] = field(default_factory=list)

    def all_of(self, renderer: str) -> list[float]:
        return [value for one in self.rounds for value in one[renderer]]

    def p99_quietest(self, renderer: str) -> float:
        """The lowest p99 of the rounds: the figure least disturbed by other work on a shared machine."""
        return min(pct(one[renderer], 0.99) for one in self.rounds)


class GcPauses:
    """The collector's pauses while commands ran (gc.callbacks), per generation."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._began) * 1000)

    def summary(self) -> str:
        return "; ".join(f"generation {gen}: {len(p)}, p50 {statistics.median(p):.2f} ms, max {max(p):.2f} ms"
                         for gen, p in self.pauses.items() if p)


def print_slow_runs(slow_runs: list[tuple[str, float, float, list[TraceEvent]]], over: float) -> None:
    """Each run whose overhead passed `over` ms: its statements and exchanges (and other tasks' ones from 5 ms
    before it), offsets from the command's start in ms."""
    print(f"\n{len(slow_runs)} runs over {over} ms of overhead; offset and duration in ms, from the command's start:")
    for text, start, overhead, events in slow_runs:
        print(f"  {text}: overhead {overhead:.2f} ms")
        for e in events:
            print(f"    {(e.began - start) * 1000:7.2f} {(e.ended - e.began) * 1000:6.2f} {e.kind:4} {e.task[:24]:24} "
                  f"{e.what}")
