"""e2e: /pnl's equity-curve image — one file name per report (never overwriting the last), a caption and a
legend that say what is drawn, plain money ticks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fxbot.services.chart_render import BALANCE_LABEL, EQUITY_LABEL
from fxbot.services.charts import equity_curve_png
from fxbot.services.periods import Period
from tests.e2e.conftest import BotHarness
from tests.e2e.report_support import trade

DAY = datetime(2026, 4, 2, tzinfo=UTC)  # the harness clock reads 2026-04-02 14:30 UTC


def two_trades(bot: BotHarness) -> None:
    t = DAY + timedelta(hours=8)
    trade(bot, "EURUSD", "BUY", open_bid=1.10000, close_bid=1.10030, opened=t, closed=t + timedelta(minutes=30))
    trade(bot, "EURUSD", "SELL", open_bid=1.10300, close_bid=1.10350, opened=t + timedelta(hours=1),
          closed=t + timedelta(hours=2))


async def test_each_pnl_image_has_its_own_file_name_and_says_what_it_shows(bot: BotHarness) -> None:
    two_trades(bot)
    [first] = await bot.say("/pnl")
    bot.clock.advance(1)
    [second] = await bot.say("/pnl")
    assert first.image is not None and second.image is not None
    assert first.image.filename == "pnl_20260402_at_20260402-143000.png"
    assert second.image.filename == "pnl_20260402_at_20260402-143001.png"
    assert first.image.caption == "P&L — today: balance and equity now"


async def test_the_report_curve_renders_with_a_legend_and_plain_ticks(bot: BotHarness) -> None:
    two_trades(bot)
    report = await bot.services.reports.build(bot.private_chat.id, Period("today", DAY, DAY + timedelta(days=1)))
    rendered = await equity_curve_png(report.curve, title="P&L today", currency=report.currency,
                                      zone=ZoneInfo("UTC"))
    assert rendered.legend[0] == BALANCE_LABEL and any(e.startswith(EQUITY_LABEL) for e in rendered.legend)
    assert all("e" not in tick and "+" not in tick for tick in rendered.y_ticks)
    assert any("," in tick for tick in rendered.y_ticks)  # 9,99x / 10,0xx: thousands separated
