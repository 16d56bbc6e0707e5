"""The retry policy around SDK calls: reads retried on transient failures, writes never sent twice (but a 429, which
executed nothing, is waited out), all in virtual time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import fxsocket
import httpx
import pytest

from fxbot.backends.sdk_calls import SdkCaller
from fxbot.domain.broker import OutcomeUnknownError, RateLimitedError, ServerError
from fxbot.fxsocket.pacing import RequestPacer
from tests.fakes.clocks import VirtualClock

REQUEST = httpx.Request("GET", "https://pod.example/t/acc1/AccountSummary")


def sdk_error(status: int, headers: dict[str, str] | None = None) -> fxsocket.FxSocketError:
    return fxsocket.errors.error_from_response(httpx.Response(status, json={"error": "x"}, headers=headers,
                                                              request=REQUEST))


def failing(*errors: BaseException, result: str = "ok") -> tuple[Callable[[], Awaitable[str]], list[int]]:
    """A call that raises `errors` one after the other, then returns `result`; and its call counter."""
    calls = [0]

    async def call() -> str:
        calls[0] += 1
        if calls[0] <= len(errors):
            raise errors[calls[0] - 1]
        return result

    return call, calls


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


def caller(clock: VirtualClock, **settings: int) -> SdkCaller:
    pacer = RequestPacer(clock=clock, sleep=clock.sleep)
    return SdkCaller(pacer, sleep=clock.sleep, **settings)


async def test_reads_retry_transient_failures_then_succeed(clock: VirtualClock) -> None:
    call, calls = failing(httpx.ReadTimeout("late"), sdk_error(503))
    assert await caller(clock).call(call, bucket="acc1", write=False, what="GET") == "ok"
    assert calls[0] == 3 and len(clock.sleeps) == 2


async def test_reads_give_up_after_their_retries(clock: VirtualClock) -> None:
    call, calls = failing(sdk_error(500), sdk_error(500), sdk_error(500))
    with pytest.raises(ServerError):
        await caller(clock, read_retries=2).call(call, bucket="acc1", write=False, what="GET")
    assert calls[0] == 3


@pytest.mark.parametrize("error", [httpx.ReadTimeout("late"), sdk_error(504), sdk_error(500)])
async def test_a_write_is_never_sent_twice(clock: VirtualClock, error: BaseException) -> None:
    call, calls = failing(error)
    with pytest.raises(OutcomeUnknownError):
        await caller(clock).call(call, bucket="acc1", write=True, what="OrderSend")
    assert calls[0] == 1 and clock.sleeps == []


async def test_a_429_is_waited_out_for_writes_too_since_nothing_was_executed(clock: VirtualClock) -> None:
    call, calls = failing(sdk_error(429, {"Retry-After": "2"}))
    started = clock.now
    assert await caller(clock).call(call, bucket="acc1", write=True, what="OrderSend") == "ok"
    assert calls[0] == 2 and clock.now - started >= 2.0


async def test_rate_limited_for_too_long_is_reported(clock: VirtualClock) -> None:
    call, calls = failing(sdk_error(429, {"Retry-After": "120"}))
    with pytest.raises(RateLimitedError) as info:
        await caller(clock).call(call, bucket="acc1", write=False, what="GET")
    assert info.value.retry_after == 120 and calls[0] == 1
    repeated, count = failing(*(sdk_error(429, {"Retry-After": "1"}) for _ in range(5)))
    with pytest.raises(RateLimitedError):
        await caller(clock, max_rate_limit_retries=2).call(repeated, bucket="acc1", write=False, what="GET")
    assert count[0] == 3
