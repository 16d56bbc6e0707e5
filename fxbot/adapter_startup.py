"""Starting chat adapters: transient failures retried with backoff, permanent ones reported in one line."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fxbot.chat.adapter import ChatAdapter
from fxbot.plugins import AdapterStartError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class StartPolicy:
    """How adapters are started: one attempt may take `timeout_s` (longer counts as a transient failure);
    transient failures are retried after `first_delay_s`, doubling up to `max_delay_s`, for ever."""

    timeout_s: float = 60.0
    first_delay_s: float = 1.0
    max_delay_s: float = 300.0

    def __post_init__(self) -> None:
        if not (self.timeout_s > 0 and 0 < self.first_delay_s <= self.max_delay_s and math.isfinite(self.max_delay_s)):
            raise ValueError("timeout_s and first_delay_s must be > 0 and first_delay_s <= max_delay_s (finite)")

    def delay(self, failures: int) -> float:
        """The wait before attempt `failures + 1` (failures >= 1)."""
        return min(self.first_delay_s * 2.0 ** min(failures - 1, 62), self.max_delay_s)


class StartupFailed(Exception):
    """No chat adapter is running or still being retried; `reasons` holds one line per adapter."""

    def __init__(self, reasons: dict[str, str]) -> None:
        self.reasons = dict(reasons)
        detail = "; ".join(f"{name}: {reason}" for name, reason in self.reasons.items()) or "none is enabled"
        super().__init__(f"no chat adapter could start — {detail}")


@dataclass(frozen=True, slots=True)
class _Outcome:
    started: bool
    permanent: bool = False
    reason: str = ""


def describe(error: BaseException, timeout_s: float) -> tuple[bool, str]:
    """(permanent?, one line) for a start-up failure: the adapter's own verdict (AdapterStartError), a time-out
    or a network error (transient), anything else (unexpected: permanent, with its traceback logged)."""
    if isinstance(error, AdapterStartError):
        return error.permanent, str(error)
    if isinstance(error, TimeoutError):
        return False, f"no answer within {timeout_s:g} s"
    if isinstance(error, OSError):
        return False, f"{type(error).__name__}: {error.strerror or error}"
    return True, f"unexpected {type(error).__name__}: {error}"


class AdapterStarter:
    """Starts every adapter once, keeps retrying those that failed transiently in the background, and knows
    which are running (`started`, in start order) and why the others are not (`failures`).

    `on_all_failed` is called when the last retried adapter fails for good while none is running."""

    def __init__(self, adapters: Sequence[ChatAdapter], *, policy: StartPolicy, sleep: Sleep = asyncio.sleep,
                 on_all_failed: Callable[[], None] = lambda: None) -> None:
        self._adapters = list(adapters)
        self._policy = policy
        self._sleep = sleep
        self._on_all_failed = on_all_failed
        self.started: list[ChatAdapter] = []
        self.failures: dict[str, str] = {}
        self._retries: dict[str, asyncio.Task[None]] = {}

    @property
    def retrying(self) -> list[str]:
        return sorted(self._retries)

    def gave_up(self) -> bool:
        """True when nothing runs and nothing is being retried (the app cannot serve anyone)."""
        return bool(self._adapters) and not self.started and not self._retries

    async def start(self) -> None:
        """First attempt for each adapter; raises StartupFailed when none started and none can be retried."""
        permanent: dict[str, str] = {}
        for adapter in self._adapters:
            outcome = await self._attempt(adapter)
            if outcome.started:
                continue
            if outcome.permanent:
                permanent[adapter.name] = outcome.reason
                continue
            log.warning("adapter %s could not start (%s); retrying in %g s", adapter.name, outcome.reason,
                        self._policy.delay(1))
            self._retries[adapter.name] = asyncio.create_task(self._retry(adapter), name=f"start-{adapter.name}")
        self.failures.update(permanent)
        if self.gave_up():
            raise StartupFailed(permanent)
        for name, reason in permanent.items():  # the others serve on: say it here, once
            log.error("adapter %s cannot start: %s; the others keep running", name, reason)

    async def cancel_retries(self) -> None:
        tasks = list(self._retries.values())
        self._retries.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _retry(self, adapter: ChatAdapter) -> None:
        failures = 1
        try:
            while True:
                await self._sleep(self._policy.delay(failures))
                outcome = await self._attempt(adapter)
                if outcome.started:
                    return
                failures += 1
                if outcome.permanent:
                    self.failures[adapter.name] = outcome.reason
                    log.error("adapter %s cannot start: %s", adapter.name, outcome.reason)
                    return
                log.warning("adapter %s could not start (%s, attempt %d); retrying in %g s", adapter.name,
                            outcome.reason, failures, self._policy.delay(failures))
        finally:
            if self._retries.get(adapter.name) is asyncio.current_task():
                del self._retries[adapter.name]
                if self.gave_up():
                    self._on_all_failed()

    async def _attempt(self, adapter: ChatAdapter) -> _Outcome:
        try:
            async with asyncio.timeout(self._policy.timeout_s):
                await adapter.start()
        except Exception as error:
            permanent, reason = describe(error, self._policy.timeout_s)
            if permanent and not isinstance(error, AdapterStartError):  # a bug: its traceback is needed
                log.error("adapter %s failed to start", adapter.name, exc_info=error)
            return _Outcome(started=False, permanent=permanent, reason=reason)
        self.started.append(adapter)
        log.info("adapter %s started", adapter.name)
        return _Outcome(started=True)
