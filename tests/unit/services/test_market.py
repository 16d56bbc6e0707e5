"""MarketService (quotes, candles, paged history) and the report periods it is asked for."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fxbot.domain.broker import KeyRefusedError, Timeframe
from fxbot.errors import KeyRevoked, UsageError
from fxbot.services.market import MAX_CANDLES, MarketService
from fxbot.services.periods import date_range_period, named_period
from tests.unit.services.fake_chat_broker import FakeBrokers, ScriptedBroker, make_trade, open_storage

BERLIN = ZoneInfo("Europe/Berlin")


def service(broker: ScriptedBroker, storage: Any = None) -> MarketService:
    return MarketService(storage=storage, brokers=FakeBrokers(broker))  # type: ignore[arg-type]


def test_today_starts_at_local_midnight() -> None:
    now = datetime(2026, 4, 2, 21, 30, tzinfo=UTC)  # 23:30 in Berlin (CEST)
    period = named_period("today", now, BERLIN)
    assert period.start == datetime(2026, 4, 1, 22, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 4, 2, 22, 0, tzinfo=UTC)
    assert period.label == "today"


def test_today_in_a_zone_ahead_of_utc_is_the_local_day() -> None:
    now = datetime(2026, 4, 2, 23, 30, tzinfo=UTC)  # already April 3rd in Tokyo
    period = named_period("today", now, ZoneInfo("Asia/Tokyo"))
    assert period.start == datetime(2026, 4, 2, 15, 0, tzinfo=UTC)


def test_week_starts_on_monday_and_month_on_the_first() -> None:
    now = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)  # a Thursday
    week = named_period("week", now, ZoneInfo("UTC"))
    assert (week.start, week.end) == (datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 4, 6, tzinfo=UTC))
    month = named_period("Month", now, ZoneInfo("UTC"))
    assert (month.start, month.end) == (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))
    december = named_period("month", datetime(2026, 12, 31, 23, 0, tzinfo=UTC), ZoneInfo("UTC"))
    assert december.end == datetime(2027, 1, 1, tzinfo=UTC)


def test_a_range_covers_whole_local_days_across_a_dst_change() -> None:
    period = date_range_period(date(2026, 3, 28), date(2026, 3, 29), BERLIN)  # DST starts on the 29th
    assert period.start == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert period.label == "2026-03-28 to 2026-03-29"


def test_bad_periods_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="before it starts"):
        date_range_period(date(2026, 4, 5), date(2026, 4, 1), BERLIN)
    with pytest.raises(UsageError, match="at most"):
        date_range_period(date(2024, 1, 1), date(2026, 1, 1), BERLIN)
    with pytest.raises(UsageError, match="unknown period"):
        named_period("year", datetime(2026, 4, 2, tzinfo=UTC), BERLIN)


async def test_quotes_come_back_in_order_without_duplicates() -> None:
    broker = ScriptedBroker()
    quotes = await service(broker).quotes("c", ["eurusd", "GBPUSD", "EURUSD"])
    assert [q.symbol for q in quotes] == ["EURUSD", "GBPUSD"]
    assert len([c for c in broker.calls if c[0] == "get_quote"]) == 2


async def test_too_many_symbols_are_refused_before_any_call() -> None:
    broker = ScriptedBroker()
    with pytest.raises(UsageError, match="at most 10"):
        await service(broker).quotes("c", [f"S{i}" for i in range(11)])
    assert broker.calls == []


async def test_candles_count_is_bounded() -> None:
    broker = ScriptedBroker()
    with pytest.raises(UsageError, match=f"between 1 and {MAX_CANDLES}"):
        await service(broker).candles("c", "EURUSD", Timeframe.H1, MAX_CANDLES + 1)
    series = await service(broker).candles("c", "EURUSD", Timeframe.M15, 5)
    assert len(series.candles) == 5
    assert broker.calls[-1] == ("get_candles", {"symbol": "EURUSD", "timeframe": Timeframe.M15, "limit": 5})


async def test_history_reads_every_page_of_the_period() -> None:
    broker = ScriptedBroker(trades=[make_trade(n) for n in range(2500)])
    period = named_period("today", datetime(2026, 4, 2, 14, 30, tzinfo=UTC), ZoneInfo("UTC"))
    history = await service(broker).history("c", period, "EURUSD")
    assert len(history.trades) == 2500 and history.total == 2500 and not history.truncated
    assert history.currency == "USD"
    offsets = [c[1]["offset"] for c in broker.calls if c[0] == "get_history"]
    assert offsets == [0, 1000, 2000]
    first = next(c[1] for c in broker.calls if c[0] == "get_history")
    assert first["start"] == period.start and first["end"] == period.end and first["symbol"] == "EURUSD"


async def test_history_is_cut_at_the_maximum_and_says_so() -> None:
    broker = ScriptedBroker(trades=[make_trade(n) for n in range(5200)])
    period = named_period("month", datetime(2026, 4, 2, tzinfo=UTC), ZoneInfo("UTC"))
    history = await service(broker).history("c", period, None)
    assert len(history.trades) == 5000 and history.total == 5200 and history.truncated


async def test_an_upstream_error_becomes_an_fxbot_error(tmp_path: Path) -> None:
    storage = await open_storage(tmp_path)
    try:
        broker = ScriptedBroker(fail=KeyRefusedError("bad key", status=401))
        with pytest.raises(KeyRevoked):
            await service(broker, storage).quotes("c", ["EURUSD"])
    finally:
        await storage.close()
