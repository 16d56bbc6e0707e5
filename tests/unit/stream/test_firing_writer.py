"""FiringWriter: the quotes' firings are written in bursts, never lost when a transaction fails or the session stops."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from fxbot.alerts.firing import Firing
from fxbot.stream.firing_writer import FiringWriter
from tests.waiting import eventually


def fakes(n: int, start: int = 0) -> list[Firing]:
    return [cast(Firing, f"firing-{i}") for i in range(start, start + n)]


class GatedDeliver:
    """Records each batch; each call waits for `gate` (set it to let transactions finish)."""

    def __init__(self, fail_first: bool = False) -> None:
        self.batches: list[list[Firing]] = []
        self.gate = asyncio.Event()
        self.fail_first = fail_first

    async def __call__(self, batch: list[Firing]) -> int:
        await self.gate.wait()
        if self.fail_first:
            self.fail_first = False
            raise OSError("disk I/O error")
        self.batches.append(list(batch))
        return len(batch)


async def test_what_arrives_during_a_transaction_goes_into_the_next_one() -> None:
    deliver = GatedDeliver()
    writer = FiringWriter(deliver)
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(1))
    await eventually(lambda: writer.unwritten == 0, "the first transaction started")
    for i in range(1, 50):  # 49 quotes while the first transaction runs
        await writer.submit(fakes(1, i))
    deliver.gate.set()
    await writer.drain()
    task.cancel()
    assert deliver.batches == [fakes(1), fakes(49, 1)]


async def test_a_failed_transaction_keeps_its_firings_for_the_last_write() -> None:
    deliver = GatedDeliver(fail_first=True)
    deliver.gate.set()
    writer = FiringWriter(deliver)
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(3))
    with pytest.raises(OSError):
        await task  # the session ends (and restarts); its writer's last write still goes
    assert deliver.batches == [fakes(3)]


async def test_a_stopped_writer_writes_what_was_handed_over() -> None:
    deliver = GatedDeliver()
    writer = FiringWriter(deliver)
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(2))
    await eventually(lambda: writer.unwritten == 0, "the transaction started")
    await writer.submit(fakes(2, 2))
    task.cancel()  # stopped mid-transaction: that batch goes back, and one last shielded write takes it all
    deliver.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    await eventually(lambda: sum(map(len, deliver.batches)) == 4, "every firing written")
    assert [f for batch in deliver.batches for f in batch] == fakes(4)


async def test_the_reader_waits_when_too_much_is_unwritten() -> None:
    deliver = GatedDeliver()
    writer = FiringWriter(deliver, max_unwritten=10)
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(1))
    await eventually(lambda: writer.unwritten == 0, "the transaction started")
    await writer.submit(fakes(5, 1))
    blocked = asyncio.create_task(writer.submit(fakes(5, 6)))
    await asyncio.sleep(0)
    assert not blocked.done()  # 10 unwritten: the reader waits
    deliver.gate.set()
    await blocked
    await writer.drain()
    task.cancel()
    assert [f for batch in deliver.batches for f in batch] == fakes(11)


class FakeMonotonic:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_firings_that_keep_coming_are_collected_for_one_transaction() -> None:
    deliver = GatedDeliver()
    deliver.gate.set()
    clock = FakeMonotonic()
    writer = FiringWriter(deliver, linger_s=3600.0, clock=clock)  # a linger no test run outlasts: ended by drain()
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(1))  # the first after a quiet spell: written at once, no linger
    await eventually(lambda: deliver.batches == [fakes(1)], "the first firing written at once")
    for i in range(1, 6):  # the next quotes' firings, while the last write is recent: collected
        await writer.submit(fakes(1, i))
        await asyncio.sleep(0)
    assert writer.unwritten == 5 and deliver.batches == [fakes(1)]
    await writer.drain()  # ends the linger
    assert deliver.batches == [fakes(1), fakes(5, 1)]
    clock.now += 3601.0  # a quiet spell: the next firing goes at once again
    await writer.submit(fakes(1, 6))
    await eventually(lambda: len(deliver.batches) == 3, "written without a linger after a quiet spell")
    assert deliver.batches[-1] == fakes(1, 6)
    task.cancel()


async def test_a_linger_ends_when_its_time_is_up() -> None:
    deliver = GatedDeliver()
    deliver.gate.set()
    writer = FiringWriter(deliver, linger_s=0.001, clock=FakeMonotonic())  # the clock stands still: always recent
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(1))
    await eventually(lambda: len(deliver.batches) == 1, "the first firing written")
    await writer.submit(fakes(2, 1))
    await eventually(lambda: len(deliver.batches) == 2, "written once the linger is over, with no drain")
    assert deliver.batches == [fakes(1), fakes(2, 1)]
    task.cancel()


async def test_too_much_unwritten_ends_a_linger() -> None:
    deliver = GatedDeliver()
    deliver.gate.set()
    writer = FiringWriter(deliver, max_unwritten=10, linger_s=3600.0, clock=FakeMonotonic())
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(1))
    await eventually(lambda: len(deliver.batches) == 1, "the first firing written")
    await writer.submit(fakes(4, 1))
    await asyncio.sleep(0)
    assert len(deliver.batches) == 1  # lingering
    await writer.submit(fakes(6, 5))  # 10 unwritten: the reader waits, and the linger ends
    await eventually(lambda: sum(map(len, deliver.batches)) == 11, "written without waiting out the linger")
    assert [f for batch in deliver.batches for f in batch] == fakes(11)
    task.cancel()


async def test_a_writer_stopped_while_lingering_writes_what_it_held() -> None:
    deliver = GatedDeliver()
    deliver.gate.set()
    writer = FiringWriter(deliver, linger_s=3600.0, clock=FakeMonotonic())
    task = asyncio.create_task(writer.run())
    await writer.submit(fakes(1))
    await eventually(lambda: len(deliver.batches) == 1, "the first firing written")
    await writer.submit(fakes(3, 1))
    await asyncio.sleep(0)
    task.cancel()  # a stop during the linger: the last shielded write takes what waited
    with pytest.raises(asyncio.CancelledError):
        await task
    await eventually(lambda: sum(map(len, deliver.batches)) == 4, "every firing written")
    assert [f for batch in deliver.batches for f in batch] == fakes(4)
