"""A key's stream session over scripted quotes, with EURUSD rules that the quotes cross, recording each burst."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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


class RecordingAlerts(AlertService):
    """Records the rule ids of every burst handed to `deliver`."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.bursts: list[list[int]] = []

    @property
    def written(self) -> list[int]:
        return [rule_id for burst in self.bursts for rule_id in burst]

    @property
    def batches(self) -> list[int]:
        return [len(burst) for burst in self.bursts]

    async def deliver(self, firings: Iterable[Firing]) -> int:
        batch = list(firings)
        self.bursts.append([f.rule_id for f in batch])
        return await super().deliver(batch)


@dataclass
class CrossingSession:
    session: KeyStreamSession
    alerts: RecordingAlerts
    outbox: Outbox
    rule_ids: list[int]


async def crossing_session(storage: Storage, bids: list[float], rules: int) -> CrossingSession:
    """A session whose stream sends one EURUSD quote per bid (ask 0.1 pip above), with `rules` cross-up rules at
    1.09010, 1.09020, … that remember 1.09000 and have seen the price at 1.0900."""
    brokers = StreamingBrokers(ScriptedBroker())
    brokers.stream = ScriptedStream([QuoteEvent(Quote(symbol="EURUSD", bid=bid, ask=round(bid + 0.0001, 5), time=NOW,
                                                      account_id=None)) for bid in bids])
    outbox = Outbox(storage.db)
    preferences = NotificationPreferences(storage.db)
    alerts = RecordingAlerts(storage=storage, brokers=brokers, outbox=outbox, preferences=preferences,
                             clock=lambda: NOW)
    ids = []
    for i in range(1, rules + 1):
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
    return CrossingSession(session, alerts, outbox, ids)
