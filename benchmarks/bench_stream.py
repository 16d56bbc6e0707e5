"""Benchmark: quote events per second that FxSocketStream decodes, fed by a loopback blaster server.

Run: `.venv/bin/python benchmarks/bench_stream.py [--frames N]`.

A local `websockets` server sends N quote frames as fast as it can right after the client's first
message; the client counts typed QuoteEvents. A baseline reads the same frames with bare
`websockets` + `json.loads` (no models). With `--server-process` the sender runs in its own process
(the client's event loop then measures the client alone; on 2 cores each gets one). Prints figures
and the client's CPU time per frame; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from fxbot.fxsocket.events import QuoteEvent
from fxbot.fxsocket.stream import FxSocketStream


def make_frames(n: int) -> list[str]:
    symbols = ("EURUSD", "GBPUSD", "USDJPY", "XAUUSD")
    return [json.dumps({"type": "quote", "data": {
        "symbol": symbols[i % 4], "bid": 1.08 + i * 1e-6, "ask": 1.08002 + i * 1e-6,
        "time": "2026-04-02T14:30:00.123Z"}}) for i in range(n)]


async def blast(n: int, port: int) -> None:
    """The sender: N quote frames to each connection, right after its first message."""
    frames = make_frames(n)

    async def blaster(ws: ServerConnection) -> None:
        await ws.recv()  # wait for the client's first message (a subscription), then blast
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    async with serve(blaster, "127.0.0.1", port, max_queue=None) as server:
        print(next(iter(server.sockets)).getsockname()[1], flush=True)
        await asyncio.Future()


async def measure(n: int, url: str) -> None:
    async with connect(url) as raw:
        await raw.send(json.dumps({"action": "subscribe", "channel": "quotes", "symbols": ["EURUSD"]}))
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            json.loads(await raw.recv())
        raw_rate = n / (time.perf_counter() - started)
        raw_cpu = (time.process_time() - cpu) / n

    stream = FxSocketStream(url=url, api_key="sk_test_bench")
    await stream.subscribe_quotes(["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"])
    count = 0
    started = cpu = 0.0
    async with stream:
        async for event in stream:
            if not started:
                started, cpu = time.perf_counter(), time.process_time()  # StreamConnected: the blast starts now
                continue
            if isinstance(event, QuoteEvent):
                count += 1
                if count == n:
                    break
        client_rate = count / (time.perf_counter() - started)
        client_cpu = (time.process_time() - cpu) / count

    print(f"{n} quote frames over loopback (load average {os.getloadavg()[0]:.2f})")
    print(f"  bare websockets + json.loads: {raw_rate:10.0f} frames/s ({raw_cpu * 1e6:.1f} µs CPU each)")
    print(f"  FxSocketStream QuoteEvents:   {client_rate:10.0f} events/s ({client_cpu * 1e6:.1f} µs CPU each, "
          f"ratio bare/client = {raw_rate / client_rate:.2f})")


async def main(n: int) -> None:
    """Sender and client in one event loop (they share its CPU)."""
    frames = make_frames(n)

    async def blaster(ws: ServerConnection) -> None:
        await ws.recv()
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    async with serve(blaster, "127.0.0.1", 0, max_queue=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        await measure(n, f"ws://127.0.0.1:{port}/v1/stream")


def with_server_process(n: int) -> None:
    sender = subprocess.Popen([sys.executable, __file__, "--serve", str(n)], stdout=subprocess.PIPE, text=True)
    try:
        assert sender.stdout is not None
        port = int(sender.stdout.readline())
        asyncio.run(measure(n, f"ws://127.0.0.1:{port}/v1/stream"))
    finally:
        sender.terminate()
        sender.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--server-process", action="store_true", help="run the sender in its own process")
    parser.add_argument("--serve", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(blast(args.serve, 0))
    elif args.server_process:
        with_server_process(args.frames)
    else:
        asyncio.run(main(args.frames))
