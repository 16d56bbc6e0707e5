"""Condition waits for tests: poll a check until it holds; the real-time limit only bounds a hang."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

HANG_S = 30.0
"""Real seconds after which a wait gives up: generous, so a loaded machine never reaches it."""


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], what: str, *, within_s: float = HANG_S, poll_s: float = 0.01
) -> None:
    """Return as soon as `check()` (sync or async) is true; AssertionError naming `what` after `within_s`."""
    try:
        async with asyncio.timeout(within_s):
            while True:
                result = check()
                if inspect.isawaitable(result):
                    result = await result
                if result:
                    return
                await asyncio.sleep(poll_s)
    except TimeoutError:
        raise AssertionError(f"timed out after {within_s:g} s waiting for {what}") from None
