"""Fakes for the market/account/key/health service tests: a scripted Broker and a BrokerProvider stand-in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fxbot.domain.access import Scope
from fxbot.domain.broker import (
    Account,
    AccountSummary,
    BrokerError,
    Candle,
    CandleSeries,
    HistoryPage,
    Position,
    Quote,
    Side,
    Timeframe,
    Trade,
)
from fxbot.services.brokers import BoundBroker
from fxbot.storage import Storage

NOW = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
ACCOUNTS = [
    AccountSummary(id="acc_8xKm2", broker="ICMarkets", platform="MT5", status="connected", login=51234567,
                   name="Main", currency="USD"),
    AccountSummary(id="acc_4pQr7", broker="Pepperstone", platform="MT4", status="disconnected", login=7654321,
                   name="Euro", currency="EUR"),
]


def make_trade(n: int, *, profit: float = 10.0, symbol: str = "EURUSD") -> Trade:
    return Trade(id=f"trd_{n}", symbol=symbol, type=Side.BUY if n % 2 else Side.SELL, volume=0.1, profit=profit,
                 commission=-0.7, swap=-0.1, closed_at=NOW - timedelta(minutes=n), reason="manual")


@dataclass
class ScriptedBroker:
    """Answers from fixed data and records calls; `fail` makes every call raise that error."""

    trades: list[Trade] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    fail: BrokerError | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))
        if self.fail is not None:
            raise self.fail

    async def get_account(self, *, account_id: str | None = None) -> Account:
        self._record("get_account", account_id=account_id)
        return Account(id=account_id or "acc_8xKm2", balance=10_000, equity=10_050.5, margin=108.34,
                       free_margin=9_942.16, currency="USD", margin_level=9277.4, leverage=100, profit=50.5)

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]:
        self._record("get_positions", account_id=account_id)
        return list(self.positions)

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]:
        self._record("list_accounts")
        return list(ACCOUNTS)

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        self._record("get_quote", symbol=symbol)
        return Quote(symbol=symbol, bid=1.0834, ask=1.08342, spread=0.2, time=NOW)

    async def get_candles(self, symbol: str, *, timeframe: Timeframe = Timeframe.H1, start: datetime | None = None,
                          end: datetime | None = None, limit: int | None = None,
                          account_id: str | None = None) -> CandleSeries:
        self._record("get_candles", symbol=symbol, timeframe=timeframe, limit=limit)
        candles = [Candle(time=NOW - timedelta(hours=i), open=1.08, high=1.09, low=1.07, close=1.085, volume=10)
                   for i in range(limit or 1)][::-1]
        return CandleSeries(symbol=symbol, timeframe=timeframe, candles=candles)

    async def get_history(self, *, start: datetime | None = None, end: datetime | None = None,
                          symbol: str | None = None, side: Side | None = None, limit: int | None = None,
                          offset: int | None = None, account_id: str | None = None) -> HistoryPage:
        self._record("get_history", start=start, end=end, symbol=symbol, limit=limit, offset=offset)
        first = offset or 0
        return HistoryPage(trades=self.trades[first: first + (limit or 100)], total=len(self.trades))


@dataclass
class FakeBrokers:
    """Stands in for BrokerProvider: every chat is bound to key 1 with the scripted broker."""

    broker: ScriptedBroker
    account_id: str | None = None
    invalidated: list[int] = field(default_factory=list)
    secrets_tried: list[str] = field(default_factory=list)

    def client_for_secret(self, secret: str) -> ScriptedBroker:
        self.secrets_tried.append(secret)
        return self.broker

    async def for_chat(self, chat_id: str) -> BoundBroker:
        return BoundBroker(broker=self.broker, key_id=1, key_name="main", scope=Scope.TRADE,  # type: ignore[arg-type]
                           account_id=self.account_id)

    async def for_key(self, key_id: int) -> ScriptedBroker:
        return self.broker

    async def invalidate(self, key_id: int) -> None:
        self.invalidated.append(key_id)


async def open_storage(tmp_path: Path) -> Storage:
    return await Storage.open(tmp_path / "fxbot.db", {})
