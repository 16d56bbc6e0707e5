"""account_and_reading: a new alert's account and its reading asked at once, with the errors' old precedence."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.price_reading import PriceReading
from fxbot.domain.access import Scope
from fxbot.domain.broker import AccountSummary, Broker, NotFoundError, Quote
from fxbot.errors import NotFound, UserError
from fxbot.services.alert_reads import account_and_reading
from fxbot.services.brokers import BoundBroker
from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import ACCOUNTS, NOW, ScriptedBroker


@dataclass
class OverlapBroker(ScriptedBroker):
    """Its account list answers only once the quote was asked (so the two are in flight together)."""

    accounts: list[AccountSummary] = field(default_factory=lambda: list(ACCOUNTS))
    quote_asked: asyncio.Event = field(default_factory=asyncio.Event)
    quote_error: Exception | None = None

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]:
        await self.quote_asked.wait()
        self._record("list_accounts")
        return list(self.accounts)

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        self.quote_asked.set()
        self._record("get_quote", symbol=symbol, account_id=account_id)
        if self.quote_error is not None:
            raise self.quote_error
        return Quote(symbol=symbol, bid=1.0834, ask=1.08342, spread=0.2, time=NOW)


def bound(broker: ScriptedBroker, account_id: str | None = None) -> BoundBroker:
    return BoundBroker(broker=cast(Broker, broker), key_id=1, key_name="main", scope=Scope.TRADE,
                       account_id=account_id)


def clock() -> Any:
    return NOW


async def test_the_account_list_and_the_quote_are_asked_together(storage: Storage) -> None:
    broker = OverlapBroker()
    account, reading = await account_and_reading(storage, bound(broker), "EURUSD", clock)
    assert account == ACCOUNTS[0].id and isinstance(reading, PriceReading) and reading.bid == 1.0834
    assert ("get_quote", {"symbol": "EURUSD", "account_id": None}) in broker.calls


async def test_a_named_account_is_not_listed_and_an_account_rule_reads_the_account(storage: Storage) -> None:
    broker = ScriptedBroker()
    account, reading = await account_and_reading(storage, bound(broker, "acc_4pQr7"), None, clock)
    assert account == "acc_4pQr7" and isinstance(reading, AccountState)
    assert [name for name, _ in broker.calls] == ["get_account"]


async def test_the_accounts_error_comes_before_the_readings(storage: Storage) -> None:
    broker = OverlapBroker(accounts=[], quote_error=NotFoundError("no such symbol"))
    with pytest.raises(UserError, match="reaches no trading account"):
        await account_and_reading(storage, bound(broker), "EURUSD", clock)
    broker = OverlapBroker(quote_error=NotFoundError("no such symbol"))
    with pytest.raises(NotFound):
        await account_and_reading(storage, bound(broker), "EURUSD", clock)
    assert [name for name, _ in broker.calls] == ["get_quote", "list_accounts"]  # both finished
