"""Market data for a chat: quotes, candles and closed-trade history through the chat's key.

Constructor: `MarketService(*, storage: Storage, brokers: BrokerProvider)`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fxbot.domain.broker import CandleSeries, Quote, Timeframe, Trade
from fxbot.errors import UsageError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.periods import Period
from fxbot.services.upstream import upstream_call
from fxbot.storage import Storage

MAX_QUOTE_SYMBOLS = 10
DEFAULT_CANDLES = 20
MAX_CANDLES = 200
HISTORY_FETCH_LIMIT = 1000  # the API's largest page
MAX_HISTORY_TRADES = 5000  # more than this in one period is cut (and said so)


@dataclass(frozen=True, slots=True)
class TradeHistory:
    """Closed trades of one period (newest first), and whether the list was cut at MAX_HISTORY_TRADES."""

    period: Period
    symbol: str | None
    trades: tuple[Trade, ...]
    total: int
    currency: str | None

    @property
    def truncated(self) -> bool:
        return self.total > len(self.trades)


class MarketService:
    """Quotes, candles and history, each read with the chat's key and account."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider) -> None:
        self._storage = storage
        self._brokers = brokers

    def __repr__(self) -> str:
        return "MarketService()"

    async def quotes(self, chat_id: str, symbols: list[str]) -> list[Quote]:
        """The current quote of each symbol, in the order asked (duplicates dropped)."""
        unique = list(dict.fromkeys(s.upper() for s in symbols))
        if not unique:
            raise UsageError(
                "name at least one symbol", usage="/quote SYMBOL [SYMBOL…]", example="/quote EURUSD"
            )
        if len(unique) > MAX_QUOTE_SYMBOLS:
            raise UsageError(f"at most {MAX_QUOTE_SYMBOLS} symbols at once (you gave {len(unique)})")
        bound = await self._brokers.for_chat(chat_id)

        async def one(symbol: str) -> Quote:
            async with upstream_call(self._storage, bound.key_id, what=f"read the quote of {symbol}"):
                return await bound.broker.get_quote(symbol, account_id=bound.account_id)

        return list(await asyncio.gather(*(one(symbol) for symbol in unique)))

    async def candles(self, chat_id: str, symbol: str, timeframe: Timeframe, count: int) -> CandleSeries:
        """The most recent `count` bars of `symbol` (oldest first)."""
        if not 1 <= count <= MAX_CANDLES:
            raise UsageError(f"the number of candles must be between 1 and {MAX_CANDLES} (you gave {count})")
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what=f"read the {symbol} candles"):
            return await bound.broker.get_candles(
                symbol, timeframe=timeframe, limit=count, account_id=bound.account_id
            )

    async def history(self, chat_id: str, period: Period, symbol: str | None) -> TradeHistory:
        """Every closed trade of the period (newest first), fetched page by page up to MAX_HISTORY_TRADES."""
        bound = await self._brokers.for_chat(chat_id)
        trades: list[Trade] = []
        total = 0
        async with upstream_call(self._storage, bound.key_id, what="read the trade history"):
            currency = (await bound.broker.get_account(account_id=bound.account_id)).currency
            while len(trades) < MAX_HISTORY_TRADES:
                page = await bound.broker.get_history(
                    start=period.start,
                    end=period.end,
                    symbol=symbol,
                    limit=HISTORY_FETCH_LIMIT,
                    offset=len(trades),
                    account_id=bound.account_id,
                )
                total = page.total
                trades.extend(page.trades)
                if not page.trades or len(trades) >= total:
                    break
        return TradeHistory(
            period=period,
            symbol=symbol,
            trades=tuple(trades[:MAX_HISTORY_TRADES]),
            total=max(total, len(trades)),
            currency=currency,
        )
