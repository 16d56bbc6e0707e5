"""e2e: /digest now over the weekend says the FX market is closed and shows the last trading day, not a
Monday that has not begun."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.conftest import BotHarness, reply_text
from tests.e2e.report_support import trade

FRI = datetime(2026, 4, 3, 14, 0, tzinfo=UTC)  # Friday 10:00 New York (EDT): the market is open
SAT = datetime(2026, 4, 4, 12, 0, tzinfo=UTC)  # Saturday: closed since Friday 17:00 New York
CLOSED = "The FX market is closed for the weekend (since Fri 17:00 New York); it reopens 2026-04-05 21:00 UTC."


async def test_digest_now_on_a_saturday_shows_fridays_digest_and_says_the_market_is_closed(bot: BotHarness) -> None:
    trade(bot, "EURUSD", "BUY", open_bid=1.1, close_bid=1.102, opened=FRI, closed=FRI + timedelta(minutes=5))
    bot.clock.current = SAT
    replies = await bot.say("/digest now")
    assert replies[0].title == "Daily digest — Fri 2026-04-03"
    text = reply_text(replies)
    assert "1 trades: 1 won, 0 lost" in text
    assert CLOSED in text


async def test_digest_now_on_a_weekday_says_nothing_about_a_closed_market(bot: BotHarness) -> None:
    bot.clock.current = FRI
    replies = await bot.say("/digest now")
    assert replies[0].title == "Daily digest — Fri 2026-04-03 (so far)"
    assert "market is closed" not in reply_text(replies)


async def test_a_digest_at_another_time_still_counts_fridays_late_trades_and_says_the_market_is_closed(
    bot: BotHarness
) -> None:
    await bot.say("/digest on 08:00 Europe/Berlin")  # Friday 08:00 Berlin is before the Friday close
    late_friday = datetime(2026, 4, 3, 19, 0, tzinfo=UTC)
    trade(bot, "EURUSD", "BUY", open_bid=1.1, close_bid=1.102, opened=late_friday,
          closed=late_friday + timedelta(minutes=5))
    bot.clock.current = SAT
    replies = await bot.say("/digest now")
    assert replies[0].title == "Daily digest — Mon 2026-04-06 (so far)"  # its period runs to Monday 08:00
    text = reply_text(replies)
    assert "1 trades: 1 won, 0 lost" in text and CLOSED in text
