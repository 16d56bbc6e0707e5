"""Benchmark: webhook request -> order sent, bot-side (API time subtracted), and requests/s the receiver sustains.

Run: .venv/bin/python benchmarks/bench_webhooks.py [--iterations N] [--concurrency C]

The whole app runs (`build` + `run`: the console adapter, the stream pump, the notifier, the webhook receiver on
a loopback port) against the in-process simulator. Each request is a JSON body with a fresh id, so every one runs.
Every FxSocket HTTP exchange is timed inside the httpx transport; bot-side = request latency - API time (it
includes the receiver's HTTP handling, the endpoint lookup, the checks, the replay record, the dispatcher and
posting the result to the chat). The pacer, the simulator's rate limit and the endpoint's rate limit are raised
so they do not distort the figures. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from fxbot.app import build
from fxbot.chat.types import ChatKind, ChatRef
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings, WebhookSettings
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator
from fxbot.webhooks.store import WebhookStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_commands import TimingTransport


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def throughput(client: httpx.AsyncClient, url: str, command: str, label: str, total: int,
                     concurrency: int) -> None:
    """`total` requests of `command` from `concurrency` senders at once; prints requests/s."""
    ids = iter(range(total))

    async def sender() -> int:
        sent = 0
        for n in ids:
            answer = await client.post(url, content=json.dumps({"command": command, "id": f"{label}-{n}"}))
            assert answer.status_code == 200, answer.text
            sent += 1
        return sent

    start = time.perf_counter()
    done = sum(await asyncio.gather(*(sender() for _ in range(concurrency))))
    elapsed = time.perf_counter() - start
    print(f"throughput ({label}, {concurrency} concurrent senders, {done} requests): {done / elapsed:7.1f} requests/s")


async def run(iterations: int, concurrency: int, workdir: Path) -> None:
    config = SimConfig(port=0, seed=3, market_paused=True, rate_limit_per_s=10**9)
    async with await start_simulator(config) as sim:
        settings = Settings(
            fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
            database=DatabaseSettings(path=workdir / "bench.db"),
            webhooks=WebhookSettings(enabled=True, host="127.0.0.1", port=0, public_url="https://bench.example",
                                     rate_limit_per_minute=10_000),
            adapters={"console": {"api_key": sim.keys["trade"], "scope": "trade", "echo": False}},
        )
        read_fd, write_fd = os.pipe()
        app = await build(settings, env={}, stdin=os.fdopen(read_fd, "r"), stdout=io.StringIO())
        transport = TimingTransport(app.http._transport)  # measurement only: every backend shares app.http
        app.http._transport = transport
        for backend in getattr(app.services.brokers, "_backends")._backends.values():  # noqa: B009
            pacer = getattr(backend, "pacer", None)
            if isinstance(pacer, RequestPacer):
                pacer.max_requests = 10**9
        await app.services.chat_settings.set_confirm("console:local", "never")
        runner = asyncio.create_task(app.run(install_signal_handlers=False))
        while app.webhooks is None or app.starter is None or not app.starter.started:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        chat = ChatRef(id="console:local", kind=ChatKind.PRIVATE, platform="console")
        store = WebhookStore(app.storage.db, app.services.clock)
        _, token = await store.create(name="bench", chat=chat, created_by="console:local", creator_name="bench")
        assert token is not None
        await asyncio.sleep(0.3)  # the stream pump connects; not part of any figure
        url = f"{app.webhooks.url}/webhook/{token}"
        async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=concurrency)) as client:
            totals, apis, overheads = [], [], []
            for i in range(iterations):
                body = json.dumps({"command": "buy EURUSD 0.01", "id": f"lat-{i}"})
                transport.spent = 0.0
                start = time.perf_counter()
                answer = await client.post(url, content=body)
                total = time.perf_counter() - start
                assert answer.status_code == 200, answer.text
                totals.append(total * 1000)
                apis.append(transport.spent * 1000)
                overheads.append((total - transport.spent) * 1000)
            print(f"webhook request -> order sent and answered, {iterations} sequential buys on loopback:")
            print(f"  total     p50 {statistics.median(totals):7.2f} ms   p99 {_pct(totals, 0.99):7.2f} ms")
            print(f"  API       p50 {statistics.median(apis):7.2f} ms   p99 {_pct(apis, 0.99):7.2f} ms")
            print(f"  bot-side  p50 {statistics.median(overheads):7.2f} ms   p99 {_pct(overheads, 0.99):7.2f} ms")

            for command, label in (("quote EURUSD", "quotes"), ("buy EURUSD 0.01", "buys")):
                await throughput(client, url, command, label, iterations, concurrency)
        os.close(write_fd)  # the console sees end of input and the app stops
        await runner


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        await run(args.iterations, args.concurrency, Path(tmp))
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} cores")


if __name__ == "__main__":
    asyncio.run(main())
