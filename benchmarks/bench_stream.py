"""Benchmark: quote events per second that FxSocketStream decodes, fed by a loopback blaster server.

Run: `.venv/bin/python benchmarks/bench_stream.py [--frames N]`.

A local `websockets` server sends N quote frames as fast as it can right after the client's first
message; the client counts typed QuoteEvents. A baseline reads the same frames with bare
`websockets` + `json.loads` (no models). Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


async def main(n: int) -> None:
    frames = make_frames(n)

    async def blaster(ws: ServerConnection) -> None:
        await ws.recv()  # wait for the client's first message (a subscription), then blast
        for frame in frames:
            await ws.send(frame)
        await ws.wait_closed()

    async with serve(blaster, "127.0.0.1", 0, max_queue=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        url = f"ws://127.0.0.1:{port}/v1/stream"

        async with connect(url) as raw:
            await raw.send(json.dumps({"action": "subscribe", "channel": "quotes", "symbols": ["EURUSD"]}))
            started = time.perf_counter()
            for _ in range(n):
                json.loads(await raw.recv())
            raw_rate = n / (time.perf_counter() - started)

        stream = FxSocketStream(url=url, api_key="sk_test_bench")
        await stream.subscribe_quotes(["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"])
        count = 0
        started = 0.0
        async with stream:
            async for event in stream:
                if not started:
                    started = time.perf_counter()  # the StreamConnected event: the blast starts now
                    continue
                if isinstance(event, QuoteEvent):
                    count += 1
                    if count == n:
                        break
            client_rate = count / (time.perf_counter() - started)

    print(f"{n} quote frames over loopback")
    print(f"  bare websockets + json.loads: {raw_rate:10.0f} frames/s")
    print(f"  FxSocketStream QuoteEvents:   {client_rate:10.0f} events/s "
          f"({1e6 / client_rate:.1f} µs per event, ratio bare/client = {raw_rate / client_rate:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50_000)
    args = parser.parse_args()
    asyncio.run(main(args.frames))
