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
