"""KeyStreamSession and quotes: a price for one account judges that account's rules only; a price with no
account (the /v1 API: one price for every account of the key) judges every account's rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType
from typing import Self

from fxbot.alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.domain.broker import Quote, QuoteEvent, StreamEvent, StreamSettings
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier
from fxbot.stream.session import BoundChat, KeyStreamSession
from tests.unit.services.fake_chat_broker import NOW, FakeBrokers, ScriptedBroker

MAIN, EURO = "acc_8xKm2", "acc_4pQr7"
CHATS = {MAIN: "console:main", EURO: "console:euro"}


class ScriptedStream:
    """A BrokerStream that yields the given events, then ends; records what was subscribed."""

    def __init__(self, events: Iterable[StreamEvent]) -> None:
        self._events = list(events)
        self.subscribed: list[tuple[str, ...]] = []

    async def subscribe_quotes(self, symbols: Iterable[str], *, account_id: str | None = None) -> None:
        self.subscribed.append(tuple(symbols))

    async def unsubscribe_quotes(self, symbols: Iterable[str]) -> None:
        return None

    async def subscribe_orders(self, *, account_id: str | None = None) -> None:
        return None

    async def subscribe_account(self, *, account_id: str | None = None) -> None:
        return None

    async def close(self) -> None:
        self._events.clear()

    def __aiter__(self) -> ScriptedStream:
        return self

    async def __anext__(self) -> StreamEvent:
        if not self._events:
            raise StopAsyncIteration
        return self._events.pop(0)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()


class StreamingBrokers(FakeBrokers):
    """FakeBrokers whose stored key also opens the scripted stream."""

    stream: ScriptedStream | None = None

    async def open_stream(self, key_id: int, settings: StreamSettings | None = None) -> ScriptedStream:
        assert self.stream is not None
        return self.stream


def _rule(rule_id: int, account_id: str) -> PriceRule:
    return PriceRule(id=rule_id, chat_id=CHATS[account_id], owner_id="a", account_id=account_id, created_at=NOW,
                     symbol="EURUSD", digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS_UP,
                     level_points=109000, state=FireState(last_points=108500))


async def _fired_chats(storage: Storage, *events: StreamEvent) -> list[str]:
    """Run a session over both accounts (a rule at 1.09000 on each) on these events; the chats notified."""
    brokers = StreamingBrokers(ScriptedBroker())
    brokers.stream = ScriptedStream(events)
    outbox = Outbox(storage.db)
    preferences = NotificationPreferences(storage.db)
    alerts = AlertService(storage=storage, brokers=brokers, outbox=outbox,  # type: ignore[arg-type]
                          preferences=preferences, clock=lambda: NOW)
    for rule_id, account_id in enumerate(CHATS, start=1):
        alerts.engine.add(_rule(rule_id, account_id))
        alerts.engine.on_quote(account_id, "EURUSD", 1.0850, 1.08502, NOW)
    fills = FillNotifier(storage=storage, outbox=outbox, preferences=preferences, clock=lambda: NOW)
    chats = [BoundChat(chat_id, account_id, NOW) for account_id, chat_id in CHATS.items()]
    session = KeyStreamSession(1, "main", chats, storage=storage, brokers=brokers,  # type: ignore[arg-type]
                               alerts=alerts, fills=fills, clock=lambda: NOW + timedelta(minutes=1),
                               config=PumpConfig())
    await session.run()
    assert brokers.stream.subscribed == [("EURUSD",)]
    return sorted(item.chat_id for item in await outbox.pending())


def _quote(account_id: str | None) -> QuoteEvent:
    return QuoteEvent(Quote(symbol="EURUSD", bid=1.0910, ask=1.09102, time=NOW, account_id=account_id))


async def test_a_quote_for_one_account_judges_only_that_accounts_rules(storage: Storage) -> None:
    assert await _fired_chats(storage, _quote(EURO)) == [CHATS[EURO]]


async def test_a_quote_for_an_account_no_chat_watches_judges_nothing(storage: Storage) -> None:
    assert await _fired_chats(storage, _quote("acc_elsewhere")) == []


async def test_a_quote_for_every_account_of_the_key_judges_them_all(storage: Storage) -> None:
    assert await _fired_chats(storage, _quote(None)) == sorted(CHATS.values())
