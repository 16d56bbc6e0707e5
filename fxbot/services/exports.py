"""CSV exports of the chat's closed trades (one row per trade) and daily P&L, fetched page by page from the
broker and written as they arrive."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from fxbot.domain.broker import Broker, Trade
from fxbot.services.brokers import BrokerProvider
from fxbot.services.periods import Period
from fxbot.services.pnl_figures import exact_trade_net, money
from fxbot.services.upstream import upstream_call
from fxbot.storage import Storage
from fxbot.storage.order_attribution import order_authors

EXPORT_PAGE = 500
MAX_EXPORT_ROWS = 100_000
OUTSIDE = "outside the bot"
HISTORY_COLUMNS = ("ticket", "symbol", "side", "volume", "open_time", "close_time", "open_price", "close_price",
                   "profit", "commission", "swap", "net", "reason", "placed_by")
PNL_COLUMNS = ("date", "trades", "profit", "commission", "swap", "net", "cumulative_net")


@dataclass(frozen=True, slots=True)
class CsvExport:
    """A finished CSV file: its bytes, how many data rows, and whether MAX_EXPORT_ROWS cut it."""

    data: bytes
    rows: int
    truncated: bool


def _time(moment: datetime | None, zone: ZoneInfo) -> str:
    """`YYYY-MM-DD HH:MM:SS` in the zone (isoformat's first 19 characters: half strftime's cost, per trade)."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return local.isoformat(" ", "seconds")[:19] if local.year >= 1000 else local.strftime("%Y-%m-%d %H:%M:%S")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"


class ExportService:
    """Builds the CSV exports through the chat's key; history is read in pages of EXPORT_PAGE (oldest needs no
    full list in memory: each page is written out before the next is fetched)."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, page_size: int = EXPORT_PAGE) -> None:
        self._storage = storage
        self._brokers = brokers
        self._page_size = page_size

    async def _pages(self, broker: Broker, account_id: str | None, period: Period,
                     symbol: str | None) -> AsyncIterator[list[Trade]]:
        seen: set[str] = set()
        fetched = 0
        while fetched < MAX_EXPORT_ROWS:
            page = await broker.get_history(start=period.start, end=period.end, symbol=symbol, limit=self._page_size,
                                            offset=fetched, account_id=account_id)
            fetched += len(page.trades)
            fresh = [t for t in page.trades if t.id not in seen and period.start <= t.closed_at < period.end
                     and (symbol is None or t.symbol == symbol)]
            seen.update(t.id for t in fresh)
            if fresh:
                yield fresh
            if not page.trades or fetched >= page.total:
                return

    async def history_csv(self, chat_id: str, period: Period, symbol: str | None, zone: ZoneInfo) -> CsvExport:
        """One row per closed trade in `period` (newest first, as the API pages them)."""
        bound = await self._brokers.for_chat(chat_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HISTORY_COLUMNS)
        rows = 0
        names: dict[str, str] = {}
        async with upstream_call(self._storage, bound.key_id, what="read the history for the export"):
            async for page in self._pages(bound.broker, bound.account_id, period, symbol):
                authors = await order_authors(self._storage.db, chat_id,
                                              [r for t in page for r in (t.order_id, t.position_id) if r])
                for trade in page:
                    if rows >= MAX_EXPORT_ROWS:
                        break
                    author = next((authors[r] for r in (trade.order_id, trade.position_id) if r and r in authors),
                                  None)
                    writer.writerow(self._history_row(trade, zone, await self._name(chat_id, author, names)))
                    rows += 1
        return CsvExport(out.getvalue().encode("utf-8"), rows, rows >= MAX_EXPORT_ROWS)

    @staticmethod
    def _history_row(trade: Trade, zone: ZoneInfo, placed_by: str) -> tuple[str, ...]:
        return (trade.id, trade.symbol, str(trade.type), _number(trade.volume), _time(trade.opened_at, zone),
                _time(trade.closed_at, zone), _number(trade.open_price), _number(trade.close_price),
                _number(trade.profit), _number(trade.commission), _number(trade.swap),
                str(exact_trade_net(trade)), trade.reason or "", placed_by)

    async def _name(self, chat_id: str, user_id: str | None, cache: dict[str, str]) -> str:
        if user_id is None:
            return OUTSIDE
        if user_id not in cache:
            member = await self._storage.members.get(chat_id, user_id)
            cache[user_id] = member.display_name if member is not None else user_id
        return cache[user_id]

    async def pnl_csv(self, chat_id: str, period: Period, zone: ZoneInfo) -> CsvExport:
        """One row per day of the chat's zone with closed trades: count, profit, costs, net and the running net."""
        bound = await self._brokers.for_chat(chat_id)
        days: dict[date, tuple[int, Decimal, Decimal, Decimal, Decimal]] = {}
        async with upstream_call(self._storage, bound.key_id, what="read the history for the export"):
            async for page in self._pages(bound.broker, bound.account_id, period, None):
                for trade in page:
                    day = trade.closed_at.astimezone(zone).date()
                    count, profit, commission, swap, net = days.get(day, (0, Decimal(0), Decimal(0), Decimal(0),
                                                                          Decimal(0)))
                    days[day] = (count + 1, profit + money(trade.profit), commission + money(trade.commission),
                                 swap + money(trade.swap), net + exact_trade_net(trade))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(PNL_COLUMNS)
        running = Decimal(0)
        for day in sorted(days):
            count, profit, commission, swap, net = days[day]
            running += net
            writer.writerow((day.isoformat(), count, profit, commission, swap, net, running))
        return CsvExport(out.getvalue().encode("utf-8"), len(days), False)
