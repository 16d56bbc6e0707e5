"""e2e: /chart renders a PNG of the expected size with positions and orders drawn, off the event loop."""

from __future__ import annotations

import asyncio
import struct
import threading
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.broker import Timeframe
from fxbot.services import charts
from fxbot.services.chart_render import HEIGHT_PX, WIDTH_PX, RenderedChart, render_candles
from tests.e2e.conftest import BotHarness, reply_text
from tests.e2e.report_support import engine_of
from tests.waiting import HANG_S

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def open_position_and_order(bot: BotHarness) -> tuple[dict[str, object], dict[str, object]]:
    engine, account = engine_of(bot)
    now = datetime.now(UTC)
    engine.set_quote("EURUSD", 1.10000, 1.10002, now)
    position, _ = engine.place_order(account, symbol="EURUSD", type="BUY", volume=0.1, price=None, sl=1.09500,
                                     tp=1.10800, comment=None, now=now)
    order, _ = engine.place_order(account, symbol="EURUSD", type="SELL_LIMIT", volume=0.2, price=1.10500,
                                  sl=None, tp=None, comment=None, now=now)
    return position, order


async def test_chart_is_a_png_with_entry_sl_tp_and_order_lines(bot: BotHarness) -> None:
    position, order = open_position_and_order(bot)
    replies = await bot.say("/chart eurusd")
    image = replies[0].image
    assert image is not None, reply_text(replies)
    assert png_size(image.data) == (WIDTH_PX, HEIGHT_PX)
    assert image.filename == "EURUSD_H1.png"
    assert image.caption is not None and "120 bars" in image.caption
    assert "1 position(s): entry, SL and TP lines" in image.caption and "1 pending order(s)" in image.caption
    chart = await bot.services.charts.symbol_chart(bot.private_chat.id, "EURUSD", Timeframe.H1, 120,
                                                   ZoneInfo("UTC"))
    lines = {(line.kind, line.ref): line.y for line in chart.rendered.lines}
    pos_id = str(position["position_id"])
    assert lines[("entry", pos_id)] == position["price"]
    assert lines[("sl", pos_id)] == 1.09500 and lines[("tp", pos_id)] == 1.10800
    assert lines[("order", str(order["id"]))] == 1.10500
    assert chart.rendered.candles == 120


async def test_chart_timeframe_and_bars_and_no_positions(bot: BotHarness) -> None:
    replies = await bot.say("/chart XAUUSD M15 50")
    image = replies[0].image
    assert image is not None and image.filename == "XAUUSD_M15.png"
    assert image.caption is not None and "50 bars" in image.caption and "no open positions" in image.caption
    assert png_size(image.data) == (WIDTH_PX, HEIGHT_PX)


async def test_chart_bad_input_gets_a_specific_reply(bot: BotHarness) -> None:
    for text, message in [
        ("/chart FOOBAR", "unknown symbol"),
        ("/chart EURUSDD", "did you mean EURUSD"),
        ("/chart EURUSD H2", "timeframe 'H2' must be one of"),
        ("/chart EURUSD H1 5", "below the minimum of 10"),
        ("/chart EURUSD H1 501", "above the maximum of 500"),
        ("/chart", "missing SYMBOL"),
    ]:
        replies = await bot.say(text)
        assert replies[0].kind is ReplyKind.ERROR, text
        assert message in reply_text(replies), (text, reply_text(replies))


async def test_rendering_does_not_block_the_event_loop(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The drawing waits until the event loop has run a callback scheduled once drawing began: on the
    loop's own thread that can never happen (it fails after HANG_S); in a worker thread it is immediate."""
    open_position_and_order(bot)
    loop = asyncio.get_running_loop()
    loop_ran = threading.Event()
    drawn_on: list[int] = []

    def render_while_the_loop_runs(*args: Any, **kwargs: Any) -> RenderedChart:
        drawn_on.append(threading.get_ident())
        loop.call_soon_threadsafe(loop_ran.set)
        assert loop_ran.wait(HANG_S), "the event loop stood still while the chart was drawn"
        return render_candles(*args, **kwargs)

    monkeypatch.setattr(charts, "render_candles", render_while_the_loop_runs)
    chart = await bot.services.charts.symbol_chart(bot.private_chat.id, "EURUSD", Timeframe.H1, 500,
                                                   ZoneInfo("UTC"))
    assert chart.rendered.candles == 500
    assert drawn_on != [threading.get_ident()]  # drawn in a worker thread
