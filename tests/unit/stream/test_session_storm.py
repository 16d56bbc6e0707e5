"""A quote that fires many rules at once is handed to the writer in chunks, the event loop free between two, and
every firing is written exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import timedelta

from fxbot.alerts.firing import Firing
from fxbot.alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.domain.broker import Quote, QuoteEvent
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier
from fxbot.stream.firing_writer import FiringWriter
from fxbot.stream.session import BoundChat, KeyStreamSession
from tests.unit.services.fake_chat_broker import NOW, ScriptedBroker
from tests.unit.stream.test_session_quotes import ScriptedStream, StreamingBrokers

ACCOUNT, CHAT = "acc_8xKm2", "console:main"
RULES, CHUNK = 60, 10


class RecordingAlerts(AlertService):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.written: list[int] = []

    async def deliver(self, firings: Iterable[Firing]) -> int:
        batch = list(firings)
        self.written.extend(f.rule_id for f in batch)
        return await super().deliver(batch)


async def test_a_storm_is_handed_over_in_chunks_with_other_tasks_running_between(storage: Storage) -> None:
    brokers = StreamingBrokers(ScriptedBroker())
    # one quote crossing every level at once: all RULES fire on it
    brokers.stream = ScriptedStream([QuoteEvent(Quote(symbol="EURUSD", bid=1.1000, ask=1.1001, time=NOW,
                                                      account_id=None))])
    outbox = Outbox(storage.db)
    preferences = NotificationPreferences(storage.db)
    alerts = RecordingAlerts(storage=storage, brokers=brokers, outbox=outbox, preferences=preferences,
                             clock=lambda: NOW)
    ids = []
    for i in range(1, RULES + 1):
        rule = await alerts.repository.add(PriceRule(
            id=0, chat_id=CHAT, owner_id="a", account_id=ACCOUNT, created_at=NOW, symbol="EURUSD", digits=5,
            side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109_000 + 10 * i,
            state=FireState(last_points=109_000)))
        alerts.engine.add(rule)
        ids.append(rule.id)
    alerts.engine.on_quote(ACCOUNT, "EURUSD", 1.0900, 1.0901, NOW)
    fills = FillNotifier(storage=storage, outbox=outbox, preferences=preferences, clock=lambda: NOW)
    session = KeyStreamSession(1, "main", [BoundChat(CHAT, ACCOUNT, NOW)], storage=storage,
                               brokers=brokers,  # type: ignore[arg-type]
                               alerts=alerts, fills=fills, clock=lambda: NOW + timedelta(minutes=1),
                               config=PumpConfig())
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
    assert sorted(alerts.written) == ids  # each firing written once, none lost
    assert alerts.written == ids  # in the order the engine fired them
    assert len(await outbox.pending()) == RULES
    stored = [await alerts.repository.get(i) for i in ids]
    assert all(rule is not None and rule.state.done for rule in stored)


async def test_a_quote_firing_fewer_than_a_chunk_is_handed_over_whole(storage: Storage) -> None:
    brokers = StreamingBrokers(ScriptedBroker())
    brokers.stream = ScriptedStream([QuoteEvent(Quote(symbol="EURUSD", bid=1.1000, ask=1.1001, time=NOW,
                                                      account_id=None))])
    outbox = Outbox(storage.db)
    preferences = NotificationPreferences(storage.db)
    alerts = RecordingAlerts(storage=storage, brokers=brokers, outbox=outbox, preferences=preferences,
                             clock=lambda: NOW)
    for i in range(1, 4):
        rule = await alerts.repository.add(PriceRule(
            id=0, chat_id=CHAT, owner_id="a", account_id=ACCOUNT, created_at=NOW, symbol="EURUSD", digits=5,
            side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109_000 + 10 * i,
            state=FireState(last_points=109_000)))
        alerts.engine.add(rule)
    alerts.engine.on_quote(ACCOUNT, "EURUSD", 1.0900, 1.0901, NOW)
    fills = FillNotifier(storage=storage, outbox=outbox, preferences=preferences, clock=lambda: NOW)
    session = KeyStreamSession(1, "main", [BoundChat(CHAT, ACCOUNT, NOW)], storage=storage,
                               brokers=brokers,  # type: ignore[arg-type]
                               alerts=alerts, fills=fills, clock=lambda: NOW + timedelta(minutes=1),
                               config=PumpConfig())
    await session.run()
    assert len(alerts.written) == 3
    assert len(await outbox.pending()) == 3
