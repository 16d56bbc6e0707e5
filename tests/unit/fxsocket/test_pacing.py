"""RequestPacer math under a fake clock: many concurrent callers never exceed the window limit."""

from __future__ import annotations

import asyncio

import pytest

from fxbot.fxsocket.pacing import RequestPacer
from tests.fakes.clocks import ManualClock


class FakeClock(ManualClock):
    """A clock whose sleep advances time instantly (and yields once so other tasks run)."""

    def __init__(self) -> None:
        super().__init__(1000.0)
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def max_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_200_concurrent_callers_never_exceed_60_per_second() -> None:
    clock = FakeClock()
    pacer = RequestPacer(60, 1.0, clock=clock, sleep=clock.sleep)
    sent: list[float] = []

    async def caller() -> None:
        async with pacer.slot("acc_1"):
            sent.append(clock())

    await asyncio.gather(*(caller() for _ in range(200)))
    assert len(sent) == 200
    assert max_in_any_window(sent, 1.0) <= 60
    # The pacer does not dawdle either: 200 requests need a bit over 3 windows, not much more.
    assert 3.0 <= sent[-1] - sent[0] <= 3.2
    assert all(s > 0 for s in clock.sleeps)  # no busy loop: every wait is a real sleep


async def test_first_60_go_without_waiting_and_buckets_are_independent() -> None:
    clock = FakeClock()
    pacer = RequestPacer(60, 1.0, clock=clock, sleep=clock.sleep)
    for _ in range(60):
        async with pacer.slot("acc_1"):
            pass
    assert clock.sleeps == []
    async with pacer.slot("acc_2"):
        pass
    assert clock.sleeps == []
    assert pacer.delay_for("acc_1") == pytest.approx(1.0 + pacer.margin_s)


async def test_a_request_counts_until_a_window_after_it_finished() -> None:
    clock = FakeClock()
    pacer = RequestPacer(2, 1.0, margin_s=0.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire("acc")
    await pacer.acquire("acc")
    assert pacer.delay_for("acc") is None  # both in flight: wait for one to finish
    waiter = asyncio.create_task(pacer.acquire("acc"))
    await asyncio.sleep(0)
    assert not waiter.done()
    clock.now += 5.0  # a slow answer: the server may have counted it as late as now
    pacer.release("acc")
    await asyncio.sleep(0)
    assert not waiter.done()  # it must now wait a full window after that completion
    for _ in range(5):
        await asyncio.sleep(0)
    await waiter
    assert clock.now == pytest.approx(1005.0 + 1.0)


async def test_callers_are_served_in_arrival_order() -> None:
    clock = FakeClock()
    pacer = RequestPacer(2, 1.0, clock=clock, sleep=clock.sleep)
    order: list[int] = []

    async def caller(n: int) -> None:
        async with pacer.slot("acc"):
            order.append(n)

    await asyncio.gather(*(caller(n) for n in range(10)))
    assert order == list(range(10))


async def test_pause_holds_the_bucket() -> None:
    clock = FakeClock()
    pacer = RequestPacer(60, 1.0, clock=clock, sleep=clock.sleep)
    pacer.pause("acc", 2.0)
    start = clock()
    async with pacer.slot("acc"):
        assert clock() - start == pytest.approx(2.0)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="max_requests"):
        RequestPacer(0)
    with pytest.raises(ValueError, match="window_s"):
        RequestPacer(10, 0)


async def test_buckets_of_accounts_gone_quiet_are_dropped() -> None:
    clock = FakeClock()
    pacer = RequestPacer(60, 1.0, clock=clock, sleep=clock.sleep)
    for n in range(500):
        async with pacer.slot(f"acc_{n}"):
            pass
    pacer.pause("acc_paused", 600.0)
    assert pacer.bucket_count == 501
    in_flight = asyncio.Event()
    finish = asyncio.Event()

    async def slow_request() -> None:
        async with pacer.slot("acc_slow"):
            in_flight.set()
            await finish.wait()

    slow = asyncio.create_task(slow_request())
    await in_flight.wait()
    clock.advance(120.0)
    async with pacer.slot("acc_new"):  # any request after a quiet minute sweeps the idle buckets
        pass
    assert pacer.bucket_count == 3  # the paused one, the one in flight and the new one stay
    finish.set()
    await slow
    assert pacer.delay_for("acc_paused") == pytest.approx(480.0)  # its pause is still honoured
