"""A quote that fires many rules at once is handed to the writer in chunks, the event loop free between two, and
every firing is written exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from fxbot.alerts.firing import Firing
from fxbot.storage import Storage
from fxbot.stream.firing_writer import FiringWriter
from tests.unit.stream.crossing_session import crossing_session

RULES, CHUNK = 60, 10


async def test_a_storm_is_handed_over_in_chunks_with_other_tasks_running_between(storage: Storage) -> None:
    # one quote crossing every level at once: all RULES fire on it
    run = await crossing_session(storage, [1.1000], rules=RULES)
    session = run.session
    session.firings_chunk = CHUNK
    handed: list[int] = []  # the size of each chunk handed to the writer
    writer: FiringWriter = session._writer
    submit = writer.submit

    async def counting_submit(firings: Sequence[Firing]) -> None:
        handed.append(len(firings))
        await submit(firings)

    writer.submit = counting_submit  # type: ignore[method-assign]
    seen: set[int] = set()  # how many chunks were handed over, each time the other task ran
    stop = asyncio.Event()

    async def other_task() -> None:  # the ops endpoint, a chat: any task on the same loop
        while not stop.is_set():
            seen.add(len(handed))
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    await session.run()
    stop.set()
    await other
    assert handed == [CHUNK] * (RULES // CHUNK)
    assert set(range(1, RULES // CHUNK)) <= seen  # it ran between every two chunks
    assert sorted(run.alerts.written) == run.rule_ids  # each firing written once, none lost
    assert run.alerts.written == run.rule_ids  # in the order the engine fired them
    assert len(await run.outbox.pending()) == RULES
    stored = [await run.alerts.repository.get(i) for i in run.rule_ids]
    assert all(rule is not None and rule.state.done for rule in stored)


async def test_a_quote_firing_fewer_than_a_chunk_is_handed_over_whole(storage: Storage) -> None:
    run = await crossing_session(storage, [1.1000], rules=3)
    await run.session.run()
    assert run.alerts.batches == [3]  # one burst
    assert len(await run.outbox.pending()) == 3
