"""A burst of quotes that fire alerts is persisted in one transaction, not one per quote, and nothing is lost."""

from __future__ import annotations

from fxbot.storage import Storage
from tests.unit.stream.crossing_session import crossing_session


async def test_a_burst_of_quotes_is_written_in_one_transaction(storage: Storage) -> None:
    # 20 quotes, each crossing one more level: 20 firings handed over faster than one transaction
    run = await crossing_session(storage, [1.0900 + i / 10_000 for i in range(1, 21)], rules=20)
    await run.session.run()
    assert run.alerts.batches == [20]
    assert len(await run.outbox.pending()) == 20
    stored = [await run.alerts.repository.get(i) for i in run.rule_ids]
    assert all(rule is not None and rule.state.done for rule in stored)
