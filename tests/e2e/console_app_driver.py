"""Drives the real app (fxbot.app.build) with the console adapter on an OS pipe, for the alert e2e tests.

    bot = ConsoleApp(sim, tmp_path / "bot.db", master_env)
    await bot.start()                       # build + run in a task; waits for the stream pump
    out = await bot.say("/alert EURUSD above 1.1")   # the reply printed for that line
    await bot.move("EURUSD", 1.1001)        # POST /_sim/quotes
    await bot.wait_for("EURUSD is above")   # a notification printed by the console adapter
    await bot.kill()  /  await bot.stop()   # cancel the run task abruptly / an orderly shutdown

`gate` (a ConnectGate) holds stream (re)connections while closed, so a test decides how long a
stream outage lasts. Timings are shortened (PumpConfig, coalescing) so the tests stay fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect as websockets_connect

from fxbot.app import App, build
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.simulator.runner import RunningSimulator
from fxbot.stream.config import PumpConfig

DEFAULT_TIMEOUT_S = 30.0  # real seconds; only bounds a hang (waits return as soon as the condition holds)


class ConnectGate:
    """A WebSocket connect that waits while the gate is closed (a controllable stream outage)."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self.attempts = 0

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        self.attempts += 1
        await self._open.wait()
        return await websockets_connect(*args, **kwargs)


class ShiftedClock:
    """The real UTC time plus an offset a test can advance (alert expiry without waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


class RecordingOutput:
    """A text sink for the console adapter that keeps every write (in order) and wakes waiters."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.writers: list[int | None] = []  # the task that wrote each chunk: a line's reply vs a notification
        self.changed = asyncio.Event()

    def write(self, text: str) -> int:
        self.chunks.append(text)
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop
            task = None
        self.writers.append(id(task) if task is not None else None)
        self.changed.set()
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def getvalue(self) -> str:
        return "".join(self.chunks)


def pump_config_for_tests() -> PumpConfig:
    return PumpConfig(reconnect_min_s=0.05, reconnect_max_s=0.2, silence_timeout_s=5.0, refresh_interval_s=0.5,
                      expiry_interval_s=0.2, restart_min_s=0.1, restart_max_s=0.5)


class ConsoleApp:
    """One run of the bot on a database file; make a new one on the same file to "restart" it."""

    def __init__(self, sim: RunningSimulator, db: Path, env: Mapping[str, str], *, scope: str = "trade",
                 gate: ConnectGate | None = None, api_key: str | None = None) -> None:
        self.sim = sim
        self.api_key = api_key or sim.keys[scope]  # an fxs_live_/fxs_ro_ key runs the console on the SDK face
        self.db = db
        self.env = dict(env)
        self.scope = scope
        self.gate = gate or ConnectGate()
        self.clock = ShiftedClock()
        self.out = RecordingOutput()
        self.app: App | None = None
        self.task: asyncio.Task[None] | None = None
        self._read_fd, self._write_fd = os.pipe()
        self._stdin = os.fdopen(self._read_fd, "r", encoding="utf-8")
        self.http = httpx.AsyncClient(timeout=10.0)

    def settings(self) -> Settings:
        return Settings(
            fxsocket=FxSocketSettings(base_url=self.sim.base_url, stream_url=self.sim.stream_url,
                                      management_url=self.sim.sdk_url),
            database=DatabaseSettings(path=self.db),
            adapters={"console": {"api_key": self.api_key, "scope": self.scope,
                                  "images_dir": str(self.db.parent / "img")}},
        )

    async def start(self, *, wait_connected: bool = True) -> None:
        self.app = await build(self.settings(), env=self.env, stdin=self._stdin, stdout=self.out,  # type: ignore[arg-type]
                               pump_config=pump_config_for_tests(), stream_connect=self.gate.connect,
                               notify_coalesce_s=0.05, drain_s=1.0,
                               clock=self.clock.now)
        self.task = asyncio.create_task(self.app.run(install_signal_handlers=False))
        if wait_connected:
            await self.until(self.stream_connected, "the stream pump to connect")

    def stream_connected(self) -> bool:
        pump = self.app.pump if self.app is not None else None
        return pump is not None and bool(pump.statuses()) and all(s.connected for s in pump.statuses())

    def subscribed(self, symbol: str) -> bool:
        pump = self.app.pump if self.app is not None else None
        return pump is not None and any(symbol in s for s in pump.quote_subscriptions().values())

    async def until(self, check: Callable[[], bool], what: str, within_s: float = DEFAULT_TIMEOUT_S) -> None:
        deadline = time.monotonic() + within_s
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; output so far:\n{self.out.getvalue()}")
            await asyncio.sleep(0.02)

    @property
    def output(self) -> str:
        return self.out.getvalue()

    async def say(self, line: str, within_s: float = DEFAULT_TIMEOUT_S) -> str:
        """Type one line; returns what the console printed for it: the writes after its echo by the task that
        handled the line (a notification printed meanwhile by the notifier is not the reply)."""
        echo = f"» {line.strip()}"
        start = len(self.out.chunks)
        os.write(self._write_fd, (line + "\n").encode())

        def reply() -> list[str]:
            chunks, writers = self.out.chunks[start:], self.out.writers[start:]
            index = next((i for i, c in enumerate(chunks) if c.startswith(echo)), None)
            if index is None:
                return []
            return [c for c, w in zip(chunks[index + 1:], writers[index + 1:], strict=True) if w == writers[index]]

        await self.until(lambda: bool(reply()), f"the reply to {line!r}", within_s)
        return "".join(reply())

    async def wait_for(self, text: str, *, count: int = 1, within_s: float = DEFAULT_TIMEOUT_S) -> str:
        """Wait until `text` was printed at least `count` times; returns the whole output."""
        await self.until(lambda: self.output.count(text) >= count, f"{count}× {text!r}", within_s)
        return self.output

    async def settle(self, seconds: float = 0.6) -> None:
        """Give in-flight events time to arrive (only for "nothing more happened" assertions: never to
        wait for something that must happen; use `until` / `wait_for` for that)."""
        await asyncio.sleep(seconds)

    async def recorded(self) -> None:
        """Wait until every notification delivered so far is also recorded as sent in the outbox (before a
        `kill()` that must not fall in the at-least-once window between a send and its record)."""
        notifier = self.app.notifier if self.app is not None else None
        assert notifier is not None and await notifier.drain(DEFAULT_TIMEOUT_S), "the notifier did not settle"

    async def move(self, symbol: str, bid: float, ask: float | None = None) -> None:
        body: dict[str, float] = {"bid": bid}
        if ask is not None:
            body["ask"] = ask
        answer = await self.http.post(f"{self.sim.base_url}/_sim/quotes/{symbol}", json=body)
        answer.raise_for_status()

    async def control(self, path: str, body: Mapping[str, Any]) -> Any:
        answer = await self.http.post(f"{self.sim.base_url}/_sim/{path}", json=dict(body))
        answer.raise_for_status()
        return answer.json()

    async def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.sim.keys['full']}"}
        answer = await self.http.request(method, f"{self.sim.base_url}{path}", headers=headers, **kwargs)
        answer.raise_for_status()
        return answer.json()

    async def quote(self, symbol: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.rest("GET", f"/v1/quotes/{symbol}")
        return result

    async def stop(self) -> None:
        """An orderly shutdown (like the end of input), then release the pipe and the HTTP client."""
        if self.app is not None and self.task is not None and not self.task.done():
            self.app.request_shutdown()
            await asyncio.wait_for(self.task, DEFAULT_TIMEOUT_S)
        await self._release()

    async def kill(self) -> None:
        """Stop abruptly: cancel the task running the app (no drain), like a crash of the process."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self.task, DEFAULT_TIMEOUT_S)
        await self._release()

    async def _release(self) -> None:
        if self._write_fd >= 0:
            os.close(self._write_fd)  # the console's reader thread sees end of input and ends
            self._write_fd = -1
            # The read end is ours too (the adapter never closes its stdin). Closing it waits for a read
            # still in progress, which ends at once now: off the loop, so nothing here blocks on it.
            await asyncio.to_thread(self._stdin.close)
        await self.http.aclose()
