"""The command benchmark's simulator on loopback: in a child process of its own (as the real API is), or in the
benchmark's process. Run as a script, this file is that child: it prints the simulator's address as one JSON line
and stops when its stdin closes."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this tree's fxbot, not an installed one

from fxbot.simulator.config import SimConfig
from fxbot.simulator.runner import start_simulator


@dataclass(frozen=True)
class SimAddress:
    """Where a simulator listens and its trade key."""

    base_url: str
    stream_url: str
    trade_key: str


async def serve_simulator() -> None:
    """Child-process mode: run a simulator (paused market, no rate limit), print its address as one JSON
    line, and stop when stdin closes."""
    config = SimConfig(port=0, seed=1, market_paused=True, rate_limit_per_s=10**9)
    async with await start_simulator(config) as sim:
        print(json.dumps({"base_url": sim.base_url, "stream_url": sim.stream_url, "trade_key": sim.keys["trade"]}),
              flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


@asynccontextmanager
async def simulator(in_process: bool) -> AsyncIterator[SimAddress]:
    """A simulator on loopback: in this process (its server work then lands in the bot's measured time), or
    by default in a child process of its own, as the real API is."""
    if in_process:
        config = SimConfig(port=0, seed=1, market_paused=True, rate_limit_per_s=10**9)
        async with await start_simulator(config) as sim:
            yield SimAddress(sim.base_url, sim.stream_url, sim.keys["trade"])
        return
    child = await asyncio.create_subprocess_exec(sys.executable, __file__,
                                                 stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert child.stdout is not None and child.stdin is not None
    try:
        yield SimAddress(**json.loads(await child.stdout.readline()))
    finally:
        child.stdin.close()
        await child.wait()


if __name__ == "__main__":
    asyncio.run(serve_simulator())
