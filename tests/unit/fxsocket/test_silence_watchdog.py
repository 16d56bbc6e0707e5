"""The stream's silence timeout is one watchdog timer per connection, not a timeout object per frame."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from fxbot.fxsocket.events import QuoteEvent, StreamConnected, StreamDisconnected
from fxbot.fxsocket.stream import FxSocketStream

QUOTE = json.dumps({"type": "quote", "data": {"symbol": "EURUSD", "bid": 1.0834, "ask": 1.08342,
                                              "time": "2026-04-02T14:30:00Z"}})


class FakeConnection:
    """A websockets connection: `frames` are received at once; after them recv() waits (a silent server)."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.last_activity = 0.0
        self.closed = asyncio.Event()

    async def recv(self) -> str:
        if self.frames:
            self.frames -= 1
            self.last_activity = asyncio.get_running_loop().time()
            return QUOTE
        await self.closed.wait()
        raise AssertionError("closed while receiving")

    async def send(self, message: str) -> None:
        return None

    async def close(self) -> None:
        self.closed.set()


def opener(conn: FakeConnection) -> Callable[..., Any]:
    async def connect(*args: Any, **kwargs: Any) -> FakeConnection:
        return conn

    return connect


async def test_receiving_many_frames_sets_no_timer_per_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    timers: list[float] = []
    call_at = loop.call_at

    def counting(when: float, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        timers.append(when)
        return call_at(when, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting)
    stream = FxSocketStream(url="ws://fxsocket.invalid/v1/stream", api_key="sk_test_watchdog",
                            connect=opener(FakeConnection(500)))
    async with stream:
        assert isinstance(await anext(stream), StreamConnected)
        for _ in range(500):
            assert isinstance(await anext(stream), QuoteEvent)
    assert len(timers) <= 2  # the watchdog (armed once; re-armed only when it fires)


async def test_a_silent_connection_is_lost_by_the_watchdog() -> None:
    stream = FxSocketStream(url="ws://fxsocket.invalid/v1/stream", api_key="sk_test_watchdog",
                            silence_timeout_s=0.05, reconnect_min_s=5, connect=opener(FakeConnection(1)))
    async with stream, asyncio.timeout(30):
        assert isinstance(await anext(stream), StreamConnected)
        assert isinstance(await anext(stream), QuoteEvent)
        lost = await anext(stream)  # recv() waits forever: the watchdog interrupts it
    assert isinstance(lost, StreamDisconnected) and "nothing received for 0.05 s" in lost.reason


async def test_cancelling_the_reader_is_not_mistaken_for_silence() -> None:
    stream = FxSocketStream(url="ws://fxsocket.invalid/v1/stream", api_key="sk_test_watchdog",
                            connect=opener(FakeConnection(0)))
    async with stream:
        assert isinstance(await anext(stream), StreamConnected)
        reader = asyncio.create_task(anext(stream))
        await asyncio.sleep(0)
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
