"""supervise(): a crashing background service is restarted with backoff; cancellation is never swallowed."""

from __future__ import annotations

import asyncio

import pytest

from fxbot.supervision import supervise


async def test_a_crashing_service_is_restarted_until_it_runs() -> None:
    runs: list[int] = []
    running = asyncio.Event()

    async def service() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError("boom")
        running.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(supervise("svc", service, min_backoff_s=0.01, max_backoff_s=0.02))
    await asyncio.wait_for(running.wait(), 30)  # only a hang reaches this
    assert runs == [0, 1, 2]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_service_that_returns_is_started_again() -> None:
    calls = 0
    third = asyncio.Event()

    async def service() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            third.set()

    task = asyncio.create_task(supervise("svc", service, min_backoff_s=0.01, max_backoff_s=0.01))
    await asyncio.wait_for(third.wait(), 30)  # only a hang reaches this
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert calls >= 3


async def test_bad_backoffs_are_refused() -> None:
    async def service() -> None:
        return None

    with pytest.raises(ValueError, match="backoffs"):
        await supervise("svc", service, min_backoff_s=0, max_backoff_s=1)
