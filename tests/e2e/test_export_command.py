"""e2e: /export history and /export pnl against the simulator — the CSV file's rows checked against the
simulator's own history (times in the chat's zone, who placed it through the bot), paged reading, bad input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fxbot.chat.types import Reply, ReplyKind
from fxbot.services.exports import HISTORY_COLUMNS, PNL_COLUMNS, ExportService
from fxbot.services.periods import Period
from fxbot.services.pnl_figures import money
from tests.e2e.conftest import BotHarness, reply_text
from tests.e2e.report_support import history_rows, trade

DAY = datetime(2026, 4, 2, tzinfo=UTC)  # the harness clock reads 2026-04-02 14:30 UTC
BERLIN = ZoneInfo("Europe/Berlin")


def three_trades(bot: BotHarness) -> None:
    t = DAY + timedelta(hours=8)
    trade(bot, "EURUSD", "BUY", open_bid=1.10000, close_bid=1.10250, opened=t, closed=t + timedelta(minutes=30))
    trade(bot, "GBPUSD", "SELL", open_bid=1.26000, close_bid=1.26400, opened=t + timedelta(hours=1),
          closed=t + timedelta(hours=2))
    trade(bot, "EURUSD", "BUY", open_bid=1.10100, close_bid=1.10000, opened=t + timedelta(hours=3),
          closed=t + timedelta(hours=4), volume=0.2)


def rows_of(reply: Reply) -> list[dict[str, str]]:
    assert reply.document is not None, reply_text(reply)
    assert reply.document.filename.endswith(".csv") and reply.document.mime_type == "text/csv"
    return list(csv.DictReader(io.StringIO(reply.document.data.decode("utf-8"))))


def berlin(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(BERLIN).strftime("%Y-%m-%d %H:%M:%S")


async def test_export_history_has_one_row_per_closed_trade_as_the_simulator_has_it(bot: BotHarness) -> None:
    await bot.say("/settings timezone Europe/Berlin")
    three_trades(bot)
    (reply,) = await bot.say("/export history today")
    assert reply.kind is ReplyKind.OK and "3 closed trade(s)" in reply_text(reply)
    rows = rows_of(reply)
    assert tuple(rows[0]) == HISTORY_COLUMNS
    expected = {row["id"]: row for row in history_rows(bot)}
    assert {row["ticket"] for row in rows} == set(expected)
    for row in rows:
        sim = expected[row["ticket"]]
        assert row["symbol"] == sim["symbol"] and row["side"].upper() == sim["type"].upper()
        assert float(row["volume"]) == pytest.approx(sim["volume"])
        assert row["close_time"] == berlin(sim["closed_at"]) and row["open_time"] == berlin(sim["opened_at"])
        assert float(row["open_price"]) == pytest.approx(sim["open_price"])
        assert float(row["close_price"]) == pytest.approx(sim["close_price"])
        assert float(row["profit"]) == pytest.approx(sim["profit"])
        assert float(row["commission"]) == pytest.approx(sim["commission"])
        assert float(row["swap"]) == pytest.approx(sim["swap"])
        assert Decimal(row["net"]) == money(sim["profit"]) + money(sim["commission"]) + money(sim["swap"])
        assert row["placed_by"] == "outside the bot"  # placed on the engine directly, not through a chat


async def test_a_symbol_filter_and_who_placed_it_through_the_bot(bot: BotHarness) -> None:
    bot.clock.current = datetime.now(UTC)  # orders through the bot are booked at the simulator's real time
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    assert "filled" in reply_text(await bot.say("/buy EURUSD 0.1"))
    assert "closed" in reply_text(await bot.say("/close EURUSD"))
    await bot.set_quote("GBPUSD", 1.26000, 1.26002)
    assert "filled" in reply_text(await bot.say("/buy GBPUSD 0.1"))
    assert "closed" in reply_text(await bot.say("/close GBPUSD"))
    rows = rows_of((await bot.say("/export history today EURUSD"))[0])
    assert [row["symbol"] for row in rows] == ["EURUSD"]
    assert rows[0]["placed_by"] == bot.owner.id  # a private chat keeps no member name: the platform id


async def test_history_is_read_page_by_page(bot: BotHarness) -> None:
    three_trades(bot)
    service = ExportService(storage=bot.storage, brokers=bot.services.brokers, page_size=2)
    export = await service.history_csv(bot.private_chat.id, Period("today", DAY, DAY + timedelta(days=1)), None,
                                       ZoneInfo("UTC"))
    rows = list(csv.DictReader(io.StringIO(export.data.decode())))
    assert export.rows == 3 and sorted(r["ticket"] for r in rows) == sorted(r["id"] for r in history_rows(bot))


async def test_export_pnl_has_one_row_per_day_with_the_running_net(bot: BotHarness) -> None:
    three_trades(bot)
    t = DAY - timedelta(days=1) + timedelta(hours=9)
    trade(bot, "EURUSD", "SELL", open_bid=1.10300, close_bid=1.10100, opened=t, closed=t + timedelta(hours=1))
    (reply,) = await bot.say("/export pnl 2026-04-01 2026-04-02")
    rows = rows_of(reply)
    assert tuple(rows[0]) == PNL_COLUMNS
    assert [(r["date"], r["trades"]) for r in rows] == [("2026-04-01", "1"), ("2026-04-02", "3")]
    sim = history_rows(bot)
    total = sum((money(r["profit"]) + money(r["commission"]) + money(r["swap"]) for r in sim), Decimal(0))
    assert Decimal(rows[-1]["cumulative_net"]) == total


@pytest.mark.parametrize(("text", "reason"), [
    ("/export", "missing"),
    ("/export trades", "history"),
    ("/export history fortnight", "fortnight"),
    ("/export pnl today EURUSD", "whole account"),
])
async def test_bad_input_is_refused_with_the_reason(bot: BotHarness, text: str, reason: str) -> None:
    (reply,) = await bot.say(text)
    assert reply.kind is ReplyKind.ERROR and reply.document is None
    assert reason in reply_text(reply).lower(), reply_text(reply)
