"""Pure parts of the market commands: /history argument reading and the quote/candle/history replies."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import ReplyKind
from fxbot.commands.history_args import parse_history_query
from fxbot.commands.market import HISTORY_PAGE_SIZE, history_reply, quotes_reply, spread_pips
from fxbot.domain.broker import Quote
from fxbot.domain.formatting import format_time
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import UsageError
from fxbot.services.market import TradeHistory
from fxbot.services.periods import date_range_period, named_period
from tests.unit.services.fake_chat_broker import make_trade

NOW = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
SYMBOLS = SymbolResolver(INSTRUMENTS)


def parse(text: str, page: int | None = None):  # type: ignore[no-untyped-def]
    return parse_history_query(text, now=NOW, zone=UTC_ZONE, symbols=SYMBOLS, page_option=page)


def test_history_defaults_to_today_page_one() -> None:
    query = parse("")
    assert (query.period.label, query.symbol, query.page, query.words) == ("today", None, 1, "today")


def test_history_reads_period_symbol_and_page_in_any_order() -> None:
    query = parse("page 3 eur/usd week")
    assert (query.period.label, query.symbol, query.page, query.words) == ("this week", "EURUSD", 3, "week EURUSD")
    ranged = parse("2026-03-01 2026-03-31 XAUUSD", page=2)
    assert ranged.period == date_range_period(date(2026, 3, 1), date(2026, 3, 31), UTC_ZONE)
    assert ranged.words == "2026-03-01 2026-03-31 XAUUSD" and ranged.page == 2


@pytest.mark.parametrize(("text", "message"), [
    ("week today", "one period only"),
    ("2026-03-01", "needs two dates"),
    ("2026-03-01 week", "needs two dates"),
    ("2026-02-30 2026-03-01", "not a date"),
    ("page", "needs a number"),
    ("page two", "needs a number"),
    ("page 1 page 2", "give the page once"),
    ("page 0", "between 1 and 1000"),
    ("FOOBAR", "neither a period"),
    ("EURUSD GBPUSD", "at most one symbol"),
    ("sk_live_abcdefghijklmnop", "sk_live_***"),
])
def test_history_bad_words(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("*", r"\*")) as caught:
        parse(text)
    assert "abcdefghijklmnop" not in caught.value.message
    assert caught.value.usage and caught.value.usage.startswith("/history")


def test_spread_comes_from_the_instrument_pip_size() -> None:
    assert spread_pips(Quote(symbol="USDJPY", bid=151.2, ask=151.212, time=NOW)) == 1.2
    assert spread_pips(Quote(symbol="EURUSD", bid=1.0834, ask=1.08342, time=NOW)) == 0.2
    assert spread_pips(Quote(symbol="ZZZ", bid=1, ask=2, spread=7.5, time=NOW)) == 7.5


def test_one_quote_is_text_and_several_a_table() -> None:
    one = quotes_reply([Quote(symbol="XAUUSD", bid=2315.4, ask=2315.65, time=NOW)], "Europe/Berlin")
    assert one.table is None and one.text[0] == "bid 2315.40   ask 2315.65"
    assert one.text[2] == "at 2026-04-02 16:30:00 CEST"
    several = quotes_reply([Quote(symbol="EURUSD", bid=1.0834, ask=1.08342, time=NOW),
                            Quote(symbol="USDJPY", bid=151.2, ask=151.212, time=NOW)], "UTC")
    assert several.table is not None and several.table.rows[0][:4] == ("EURUSD", "1.08340", "1.08342", "0.2")


def test_times_are_shown_in_the_chat_zone_with_or_without_seconds() -> None:
    moment = datetime(2026, 4, 2, 14, 30, 5, tzinfo=UTC)
    assert format_time(moment, "Europe/Berlin") == "2026-04-02 16:30 CEST"
    assert format_time(moment, "Europe/Berlin", seconds=True) == "2026-04-02 16:30:05 CEST"
    assert format_time(moment.replace(tzinfo=None), None, seconds=True) == "2026-04-02 14:30:05 UTC"
    assert format_time(None, "UTC", seconds=True) == "—"
    for unknown in ("Mars/Olympus", "Europe", ""):  # an unknown zone (even a tzdata folder) falls back to UTC
        assert format_time(moment, unknown) == "2026-04-02 14:30 UTC"


def _history(count: int, total: int | None = None) -> TradeHistory:
    trades = tuple(make_trade(n, profit=10.0 if n % 3 else -5.0) for n in range(count))
    return TradeHistory(period=named_period("week", NOW, UTC_ZONE), symbol=None, trades=trades,
                        total=total if total is not None else count, currency="USD")


def test_history_reply_pages_totals_and_hint() -> None:
    history = _history(45)
    first = history_reply(history, page=1, words="week", timezone="UTC")
    assert first.table is not None and len(first.table.rows) == HISTORY_PAGE_SIZE
    # make_trade: profit 10.00 (n % 3 != 0) or -5.00, commission -0.70, swap -0.10 -> nets 9.20 / -5.80;
    # 30 winners and 15 losers: 30 * 9.20 - 15 * 5.80 = 189.00
    assert first.text[0].startswith("45 trades, 30 won — net +189.00 USD")
    assert first.text[-1] == "page 1 of 3 — /history week page 2"
    last = history_reply(history, page=3, words="week", timezone="UTC")
    assert last.table is not None and len(last.table.rows) == 5 and last.text[-1].startswith("page 3 of 3")
    beyond = history_reply(history, page=4, words="week", timezone="UTC")
    assert beyond.kind is ReplyKind.ERROR


def test_history_reply_row_and_truncation() -> None:
    reply = history_reply(_history(2, total=7000), page=1, words="week", timezone="UTC")
    assert reply.table is not None
    row = reply.table.rows[0]
    assert row[1:] == ("EURUSD", "SELL", "0.10", "—", "—", "-5.80", "manual")
    assert reply.table.headers[4:6] == ("Entry", "Exit")
    assert any("only the latest 2 of 7000" in line for line in reply.text)
    empty = history_reply(_history(0), page=1, words="week", timezone="UTC")
    assert empty.table is None and empty.text == ("no closed trades this week",)
