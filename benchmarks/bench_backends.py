"""Benchmark: the SDK backend (fxs_live_ keys) against the /v1 backend (sk_ keys) on the same simulator, in one run.

Run: `.venv/bin/python benchmarks/bench_backends.py [--calls N] [--commands N] [--frames N]`.

The simulator runs in a child process (its own core; the same engine serves both faces, rate limit
raised to 10**9/s) and the client pacer is raised too, so the figures are the clients' own cost:

1. Broker port calls, each backend in turn (alternating rounds, the best of three kept): calls/s,
   HTTP requests per call, requests/s, and the client time per call outside HTTP (every exchange is
   timed in httpx's transport; overlapping exchanges counted once).
2. Bot-side overhead per chat command (parser, access check, SQLite, services, backend, reply), one
   chat bound to each kind of key: command latency minus the time HTTP exchanges were in flight.
3. Stream decoding: a loopback server blasts N quote frames in each protocol's shape (`/v1` `quote`,
   terminal `tick`) right after the client's first message; each backend's BrokerStream is opened
   against the simulator (account list, symbols, server clock) with its WebSocket connect pointed at
   the blaster, and its typed QuoteEvents are counted. Baselines: bare websockets + json.loads, and each
   protocol's frame parser alone (no socket).

The machine's load average is printed before and after. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from cryptography.fernet import Fernet
from fxsocket.terminal import stream as sdk_frames
from websockets.asyncio.client import connect as websockets_connect
from websockets.asyncio.server import ServerConnection, serve

from fxbot.backends.sdk import SdkBackend
from fxbot.backends.v1 import V1Backend
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.types import ChatKind, ChatRef, ChatUser, IncomingCommand
from fxbot.commands.catalog import build_dispatcher
from fxbot.domain.access import Scope
from fxbot.domain.broker import (
    Broker,
    BrokerStream,
    OrderRequest,
    OrderType,
    QuoteEvent,
    StreamConnected,
    close_broker,
)
from fxbot.fxsocket.frames import decode_frame
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.services import container
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator
from fxbot.storage import Storage

KINDS = ("v1", "sdk")
SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD")
OPEN_POSITIONS = 20
CLOSED_TRADES = 200


# --- the simulator in a child process -------------------------------------------------------------------------


async def serve_simulator() -> None:
    """Child mode: run the simulator, print its URLs and keys as one JSON line, stop at end of stdin."""
    config = SimConfig(port=0, seed=7, market_paused=True, rate_limit_per_s=10**9, log_level="error")
    async with await start_simulator(config) as sim:
        print(json.dumps({"base_url": sim.base_url, "stream_url": sim.stream_url, "sdk_url": sim.sdk_url,
                          "v1_key": sim.keys["full"], "sdk_key": sim.sdk_keys["full"]}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@dataclass(frozen=True)
class Sim:
    base_url: str
    stream_url: str
    sdk_url: str
    v1_key: str
    sdk_key: str

    def key(self, kind: str) -> str:
        return self.v1_key if kind == "v1" else self.sdk_key


@asynccontextmanager
async def child_simulator() -> AsyncIterator[Sim]:
    process = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", stdin=asyncio.subprocess.PIPE,
                                                   stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        yield Sim(**json.loads(line))
    finally:
        process.stdin.close()
        await asyncio.wait_for(process.wait(), 30)


# --- timing HTTP exchanges ---------------------------------------------------------------------------------------


class HttpMeter:
    """Wraps httpx's transport (the /v1 client's and the SDK's own clients alike): wall time with at least one
    exchange in flight, and how many exchanges there were."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.requests = 0
        self._in_flight = 0
        self._since = 0.0
        self._original = httpx.AsyncHTTPTransport.handle_async_request

    def reset(self) -> None:
        self.spent, self.requests = 0.0, 0

    def install(self) -> mock._patch[Any]:
        meter, original = self, self._original

        async def timed(transport: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
            if meter._in_flight == 0:
                meter._since = time.perf_counter()
            meter._in_flight += 1
            meter.requests += 1
            try:
                response = await original(transport, request)
                await response.aread()
            finally:
                meter._in_flight -= 1
                if meter._in_flight == 0:
                    meter.spent += time.perf_counter() - meter._since
            return response

        return mock.patch.object(httpx.AsyncHTTPTransport, "handle_async_request", timed)


def unpaced() -> RequestPacer:
    return RequestPacer(max_requests=10**9)


def backend_of(kind: str, sim: Sim, http: httpx.AsyncClient) -> V1Backend | SdkBackend:
    if kind == "v1":
        return V1Backend(http=http, base_url=sim.base_url, stream_url=sim.stream_url, pacer=unpaced())
    return SdkBackend(management_url=sim.sdk_url, pacer=unpaced())


# --- 1. broker port calls ----------------------------------------------------------------------------------------


@dataclass
class CallFigures:
    calls_per_s: float
    requests_per_call: float
    overhead_us: float


async def measure(call: Callable[[], Awaitable[object]], n: int, concurrency: int, meter: HttpMeter) -> CallFigures:
    remaining = n

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    meter.reset()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    return CallFigures(n / wall, meter.requests / n, (wall - meter.spent) / n * 1e6)


async def seed_account(broker: Broker) -> None:
    """OPEN_POSITIONS open positions and CLOSED_TRADES closed trades on the key's first account."""
    for n in range(CLOSED_TRADES):
        result = await broker.place_order(OrderRequest(symbol=SYMBOLS[n % 4], type=OrderType.BUY, volume=0.01))
        await broker.close_order(result.position_id or result.id)
    for n in range(OPEN_POSITIONS):
        await broker.place_order(OrderRequest(symbol=SYMBOLS[n % 4], type=OrderType.SELL, volume=0.01))


async def port_calls(sim: Sim, meter: HttpMeter, calls: int) -> None:
    async with httpx.AsyncClient() as http:
        backends = {kind: backend_of(kind, sim, http) for kind in KINDS}
        brokers: dict[str, Broker] = {kind: backends[kind].client(sim.key(kind)) for kind in KINDS}
        await seed_account(brokers["v1"])  # the same account, seen by both faces
        since = datetime.now(UTC) - timedelta(days=1)

        def round_trip(broker: Broker) -> Callable[[], Awaitable[object]]:
            async def go() -> object:
                placed = await broker.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.01))
                return await broker.close_order(placed.position_id or placed.id)
            return go

        cases: list[tuple[str, int, int, Callable[[Broker], Callable[[], Awaitable[object]]]]] = [
            ("get_quote", calls, 1, lambda b: lambda: b.get_quote("EURUSD")),
            ("get_quote, 10 concurrent", calls, 10, lambda b: lambda: b.get_quote("EURUSD")),
            ("get_account", calls, 1, lambda b: lambda: b.get_account()),
            (f"get_positions ({OPEN_POSITIONS} open)", calls, 1, lambda b: lambda: b.get_positions()),
            (f"get_history (day, {CLOSED_TRADES}+ trades)", max(calls // 10, 5), 1,
             lambda b: lambda: b.get_history(start=since)),
            ("place_order + close_order", max(calls // 4, 5), 1, round_trip),
        ]
        for kind in KINDS:  # warm up: connections, account lists, symbol maps, server clocks
            for _, _, _, make in cases[:5]:
                await make(brokers[kind])()
        print("\n1. broker port calls (best of 3 alternating rounds; simulator in a child process, pacers off)")
        print(f"{'call':38} {'backend':7} {'calls/s':>9} {'HTTP/call':>9} {'req/s':>8} {'client µs/call':>15}")
        for label, n, concurrency, make in cases:
            best: dict[str, CallFigures] = {}
            for _ in range(3):
                for kind in KINDS:
                    figures = await measure(make(brokers[kind]), n, concurrency, meter)
                    if kind not in best or figures.calls_per_s > best[kind].calls_per_s:
                        best[kind] = figures
            for kind in KINDS:
                f = best[kind]
                print(f"{label:38} {kind:7} {f.calls_per_s:9.0f} {f.requests_per_call:9.2f} "
                      f"{f.calls_per_s * f.requests_per_call:8.0f} {f.overhead_us:15.0f}")
        trades = (await brokers["v1"].get_history(start=since, limit=1)).total
        print(f"(the round trips close into the same account: {trades} trades closed today now, so a close's "
              "profit lookup reads more history as the run goes on)")
        for kind in KINDS:
            await close_broker(brokers[kind])
            await backends[kind].aclose()


# --- 2. bot-side overhead per command ---------------------------------------------------------------------------

COMMANDS = ["/quote EURUSD", "/quote EURUSD GBPUSD USDJPY XAUUSD", "/account", "/positions", "/history",
            "/buy EURUSD 0.01"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _UnpacedV1Backend(V1Backend):
    """The container's /v1 backend with the pacer raised (the SDK backend shares its pacer)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "pacer": unpaced()})


async def command_overhead(sim: Sim, meter: HttpMeter, iterations: int, workdir: Path) -> None:
    env = {"FXBOT_SECRET_KEY": Fernet.generate_key().decode()}
    storage = await Storage.open(workdir / "bench.db", env)
    with mock.patch.object(container, "V1Backend", _UnpacedV1Backend):
        services = await container.build_services(storage, http=httpx.AsyncClient(), base_url=sim.base_url,
                                                  stream_url=sim.stream_url, management_url=sim.sdk_url,
                                                  clock=lambda: datetime.now(UTC))
    dispatcher = build_dispatcher(services, clock=lambda: datetime.now(UTC), confirmations=ConfirmationBook(),
                                  audit=None)
    user = ChatUser(id="console:bench", display_name="bench", is_platform_admin=True)
    chats: dict[str, ChatRef] = {}
    for kind in KINDS:
        chat = ChatRef(id=f"console:{kind}", kind=ChatKind.PRIVATE, platform="console")
        key = await storage.keys.add(user.id, f"bench-{kind}", sim.key(kind), Scope.TRADE)
        await storage.bindings.bind(chat.id, key.id, user.id)
        await services.chat_settings.set_confirm(chat.id, "never")
        chats[kind] = chat
    print(f"\n2. bot-side overhead per command ({iterations} runs each per backend; HTTP time excluded)")
    print(f"{'command':38} {'backend':7} {'total p50':>10} {'HTTP p50':>9} {'HTTP/cmd':>8} {'overhead p50':>13} "
          f"{'p95':>8}")
    for text in COMMANDS:
        for kind in KINDS:
            totals, https, overheads, requests = [], [], [], []
            for n in range(iterations + 3):
                meter.reset()
                start = time.perf_counter()
                replies = await dispatcher.handle(IncomingCommand(user=user, chat=chats[kind], text=text,
                                                                  received_at=datetime.now(UTC)))
                total = time.perf_counter() - start
                assert replies, text
                if n < 3:
                    continue  # warm-up
                totals.append(total * 1000)
                https.append(meter.spent * 1000)
                overheads.append((total - meter.spent) * 1000)
                requests.append(meter.requests)
            print(f"{text:38} {kind:7} {statistics.median(totals):8.2f}ms {statistics.median(https):7.2f}ms "
                  f"{statistics.fmean(requests):8.1f} {statistics.median(overheads):11.3f}ms "
                  f"{_pct(overheads, 0.95):6.3f}ms")
    await services.close()
    await storage.close()


# --- 3. stream decoding ------------------------------------------------------------------------------------------


def v1_frames(n: int) -> list[str]:
    return [json.dumps({"type": "quote", "data": {
        "symbol": SYMBOLS[i % 4], "bid": 1.08 + i * 1e-6, "ask": 1.08002 + i * 1e-6,
        "time": "2026-04-02T14:30:00.123Z"}}) for i in range(n)]


def sdk_frames_of(n: int) -> list[str]:
    return [json.dumps({"type": "tick", "symbol": SYMBOLS[i % 4], "data": {
        "symbol": SYMBOLS[i % 4], "bid": 1.08 + i * 1e-6, "ask": 1.08002 + i * 1e-6,
        "time": "2026-04-02T17:30:00.123Z", "last": 0.0, "volume": 0}}) for i in range(n)]


@asynccontextmanager
async def blaster(frames: list[str]) -> AsyncIterator[str]:
    """A loopback WebSocket server that sends every frame after the client's first message; yields its URL."""

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, max_queue=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


async def bare_rate(url: str, n: int) -> float:
    async with websockets_connect(url) as raw:
        await raw.send("{}")
        started = time.perf_counter()
        for _ in range(n):
            json.loads(await raw.recv())
        return n / (time.perf_counter() - started)


async def stream_rate(stream: BrokerStream, n: int) -> float:
    await stream.subscribe_quotes(list(SYMBOLS))
    count, started = 0, 0.0
    async with stream:
        async for event in stream:
            if isinstance(event, StreamConnected) and not started:
                started = time.perf_counter()  # the blast starts with the first subscription frame
            elif isinstance(event, QuoteEvent):
                count += 1
                if count == n:
                    break
    return count / (time.perf_counter() - started)


def parser_rate(frames: list[str], parse: Callable[[str], object]) -> float:
    started = time.perf_counter()
    for frame in frames:
        parse(frame)
    return len(frames) / (time.perf_counter() - started)


async def stream_decoding(sim: Sim, n: int) -> None:
    print(f"\n3. stream decoding, {n} quote frames per run over loopback (events/s)")
    print(f"{'protocol':10} {'bare ws+json':>13} {'frame parser only':>18} {'backend QuoteEvents':>20} {'µs/event':>9}")
    made = {"v1": v1_frames(n), "sdk": sdk_frames_of(n)}
    parsers: dict[str, Callable[[str], object]] = {
        "v1": decode_frame, "sdk": lambda frame: sdk_frames.parse_event(json.loads(frame))}
    async with httpx.AsyncClient() as http:
        for kind in KINDS:
            async with blaster(made[kind]) as url:
                async def redirect(_url: str, *args: Any, blast: str = url, **kwargs: Any) -> Any:
                    return await websockets_connect(blast, *args, **kwargs)

                bare = max([await bare_rate(url, n) for _ in range(2)])
                parsed = max(parser_rate(made[kind], parsers[kind]) for _ in range(2))
                rates = []
                for _ in range(2):
                    if kind == "v1":
                        backend: V1Backend | SdkBackend = V1Backend(
                            http=http, base_url=sim.base_url, stream_url=sim.stream_url, pacer=unpaced(),
                            connect=redirect)
                    else:
                        backend = SdkBackend(management_url=sim.sdk_url, pacer=unpaced(), connect=redirect)
                    rates.append(await stream_rate(backend.stream(sim.key(kind)), n))
                    await backend.aclose()
                best = max(rates)
                print(f"{kind:10} {bare:13.0f} {parsed:18.0f} {best:20.0f} {1e6 / best:9.1f}")


# --- main ----------------------------------------------------------------------------------------------------------


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


async def main(calls: int, commands: int, frames: int) -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; load average (1/5/15 min) at start {load()}")
    meter = HttpMeter()
    async with child_simulator() as sim:
        with meter.install():
            await port_calls(sim, meter, calls)
            with tempfile.TemporaryDirectory() as tmp:
                await command_overhead(sim, meter, commands, Path(tmp))
        await stream_decoding(sim, frames)
    print(f"\nload average at the end {load()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400, help="calls per port-call run")
    parser.add_argument("--commands", type=int, default=100, help="runs per chat command and backend")
    parser.add_argument("--frames", type=int, default=30_000, help="quote frames per stream run")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(serve_simulator() if args.serve else main(args.calls, args.commands, args.frames))
