"""A burst of quotes that fire alerts is persisted in one transaction, not one per quote, and nothing is lost."""

from __future__ import annotations

from collections.abc import Iterable
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
from fxbot.stream.session import BoundChat, KeyStreamSession
from tests.unit.services.fake_chat_broker import NOW, ScriptedBroker
from tests.unit.stream.test_session_quotes import ScriptedStream, StreamingBrokers

ACCOUNT, CHAT = "acc_8xKm2", "console:main"


class CountingAlerts(AlertService):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.batches: list[int] = []

    async def deliver(self, firings: Iterable[Firing]) -> int:
        batch = list(firings)
        self.batches.append(len(batch))
        return await super().deliver(batch)


async def test_a_burst_of_quotes_is_written_in_one_transaction(storage: Storage) -> None:
    brokers = StreamingBrokers(ScriptedBroker())
    # 20 quotes, each crossing one more level: 20 firings handed over faster than one transaction
    brokers.stream = ScriptedStream([QuoteEvent(Quote(symbol="EURUSD", bid=1.0900 + i / 10_000, ask=1.0901 + i / 10_000,
                                                      time=NOW, account_id=None)) for i in range(1, 21)])
    outbox = Outbox(storage.db)
    preferences = NotificationPreferences(storage.db)
    alerts = CountingAlerts(storage=storage, brokers=brokers, outbox=outbox, preferences=preferences,
                            clock=lambda: NOW)
    for i in range(1, 21):
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
    assert alerts.batches == [20]
    assert len(await outbox.pending()) == 20
    stored = [await alerts.repository.get(i) for i in range(1, 21)]
    assert all(rule is not None and rule.state.done for rule in stored)
