"""A REST quote read to set or resume one chat's alert never moves the shared book nor fires other chats' rules."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from fxbot.alerts.engine import AlertEngine
from fxbot.domain.broker import Quote
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import ACCOUNTS, NOW, FakeBrokers, ScriptedBroker

CHAT_A, CHAT_B = "console:a", "console:b"
ACC = ACCOUNTS[0].id


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass
class RacingBroker(ScriptedBroker):
    """Answers `bid` for every quote; `while_asked` runs while the request is in flight (the stream moving on)."""

    bid: float = 1.0950
    while_asked: Callable[[], None] | None = None

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        if self.while_asked is not None:
            self.while_asked()
        return Quote(symbol=symbol, bid=self.bid, ask=self.bid + 0.00002, time=NOW)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def broker() -> RacingBroker:
    return RacingBroker()


@pytest.fixture
async def service(storage: Storage, broker: RacingBroker, clock: Clock) -> AsyncIterator[AlertService]:
    yield AlertService(storage=storage, brokers=FakeBrokers(broker), outbox=Outbox(storage.db, clock),  # type: ignore[arg-type]
                       preferences=NotificationPreferences(storage.db), clock=clock)


def stream_tick(engine: AlertEngine, clock: Clock, bid: float) -> list[int]:
    """A quote from the stream, a second later than the last thing that happened."""
    return [f.rule_id for f in engine.on_quote(ACC, "EURUSD", bid, bid + 0.00002, clock.advance(1))]


async def titles(service: AlertService, chat_id: str) -> list[str]:
    return [item.notification.title for item in await service.outbox.pending_for(chat_id)]


async def test_a_stale_quote_read_for_one_chat_does_not_fire_another_chats_cross(
    service: AlertService, broker: RacingBroker, clock: Clock
) -> None:
    # chat A: cross down 1.09000, set at 1.09500
    await service.create(CHAT_A, "a", ["EURUSD", "cross", "down", "1.09000"])
    assert stream_tick(service.engine, clock, 1.0960) == []
    # chat B sets an alert; its REST answer (1.08900, below A's level) is older than the stream's 1.09700
    broker.bid = 1.0890
    broker.while_asked = lambda: None if stream_tick(service.engine, clock, 1.0970) == [] else pytest.fail("fired")
    created = await service.create(CHAT_B, "b", ["EURUSD", "above", "1.2000"])
    assert created.fired_now == 0
    assert await titles(service, CHAT_A) == []  # the price never went below 1.09000
    assert service.engine.last_price(ACC, "EURUSD") == 1.0970  # the book did not move backwards
    broker.while_asked = None
    assert stream_tick(service.engine, clock, 1.0899) == [1]  # a real crossing still fires, from 1.09700


async def test_a_quote_older_than_the_stream_never_moves_the_book_even_when_asked_later(
    service: AlertService, broker: RacingBroker, clock: Clock
) -> None:
    await service.create(CHAT_A, "a", ["EURUSD", "cross", "down", "1.09000"])
    stream_tick(service.engine, clock, 1.0960)
    broker.bid = 1.0890
    clock.advance(1)
    await service.create(CHAT_B, "b", ["EURUSD", "cross", "up", "1.2000"])
    assert await titles(service, CHAT_A) == []
    assert service.engine.last_price(ACC, "EURUSD") == 1.0960


async def test_the_new_rule_is_judged_on_the_newer_of_the_stream_price_and_the_reading(
    service: AlertService, broker: RacingBroker, clock: Clock
) -> None:
    await service.create(CHAT_A, "a", ["EURUSD", "cross", "down", "1.09000"])
    stream_tick(service.engine, clock, 1.0960)
    broker.bid = 1.0890
    broker.while_asked = lambda: None if stream_tick(service.engine, clock, 1.0970) == [] else pytest.fail("fired")
    created = await service.create(CHAT_B, "b", ["EURUSD", "above", "1.09650"])
    assert created.fired_now == 1  # judged on the stream's 1.09700, newer than the REST 1.08900
    assert await titles(service, CHAT_B) == ["EURUSD is above 1.09650"]
    assert await titles(service, CHAT_A) == []


async def test_resuming_with_a_stale_quote_fires_nobody_else(
    service: AlertService, broker: RacingBroker, clock: Clock
) -> None:
    await service.create(CHAT_A, "a", ["EURUSD", "cross", "down", "1.09000"])
    b = (await service.create(CHAT_B, "b", ["EURUSD", "above", "1.2000"])).rule
    await service.pause(CHAT_B, b.id)
    stream_tick(service.engine, clock, 1.0960)
    broker.bid = 1.0890
    clock.advance(1)
    await service.resume(CHAT_B, b.id)
    assert await titles(service, CHAT_A) == []
    assert service.engine.last_price(ACC, "EURUSD") == 1.0960
