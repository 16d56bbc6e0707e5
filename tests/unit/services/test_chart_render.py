"""Chart rendering: readable equity curves (plain money ticks, a legend, local times) and level labels that
never overlap and say whose position they belong to."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fxbot.domain.broker import Candle, PendingOrder, Position, Side
from fxbot.services.chart_labels import spread_labels
from fxbot.services.chart_render import (
    BALANCE_LABEL,
    EQUITY_LABEL,
    PlacedLabel,
    render_candles,
    render_equity_curve,
)
from fxbot.services.charts import curve_caption, curve_filename, order_levels, position_levels
from fxbot.services.pnl_figures import CurvePoint

START = datetime(2026, 4, 2, 21, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
MONEY_TICK = re.compile(r"\d{1,3}(,\d{3})*(\.\d\d)?")


def _curve() -> list[CurvePoint]:
    """A 10,000 USD account losing a few dollars: the range matplotlib shows as "+1e4" with ticks 0 to -7."""
    return [CurvePoint(START, 10_000.0), CurvePoint(START + timedelta(hours=3), 9_996.5),
            CurvePoint(START + timedelta(hours=7), 9_993.2), CurvePoint(START + timedelta(hours=12), 9_998.1),
            CurvePoint(START + timedelta(hours=15), 9_994.9, kind="equity")]


def test_equity_curve_ticks_are_plain_money_with_thousands_separators() -> None:
    rendered = render_equity_curve(_curve(), title="P&L today", currency="USD", zone=BERLIN)
    assert rendered.y_ticks and all(MONEY_TICK.fullmatch(tick) for tick in rendered.y_ticks), rendered.y_ticks
    assert "10,000.00" in rendered.y_ticks and any(tick.startswith("9,99") for tick in rendered.y_ticks)


def test_equity_curve_has_a_legend_naming_each_line() -> None:
    rendered = render_equity_curve(_curve(), title="P&L today", currency="USD", zone=BERLIN)
    assert rendered.legend[0] == BALANCE_LABEL
    assert f"{EQUITY_LABEL}: 9,994.90" in rendered.legend
    assert "Balance at the start (10,000.00)" in rendered.legend
    past = render_equity_curve(_curve()[:-1], title="P&L yesterday", currency="USD", zone=BERLIN)
    assert not any(EQUITY_LABEL in entry for entry in past.legend)  # a past period shows no equity now


def test_equity_curve_times_are_in_the_chats_zone() -> None:
    berlin = render_equity_curve(_curve(), title="P&L", currency="USD", zone=BERLIN)
    tokyo = render_equity_curve(_curve(), title="P&L", currency="USD", zone=ZoneInfo("Asia/Tokyo"))
    assert berlin.x_span == ("2026-04-02 23:00", "2026-04-03 14:00")  # 21:00 UTC is 23:00 CEST
    assert tokyo.x_span == ("2026-04-03 06:00", "2026-04-03 21:00")
    assert berlin.x_label == "time (Europe/Berlin)"


def test_curve_images_get_distinct_names_and_say_what_they_show() -> None:
    first = curve_filename("pnl", START, START + timedelta(hours=1), BERLIN)
    second = curve_filename("pnl", START, START + timedelta(hours=1, seconds=1), BERLIN)
    assert first == "pnl_20260402_at_20260403-000000.png" and first != second
    assert curve_caption("P&L — today", _curve()) == "P&L — today: balance and equity now"
    assert curve_caption("P&L — yesterday", _curve()[:-1]) == "P&L — yesterday: balance"


def _candles(count: int = 60) -> list[Candle]:
    return [Candle(time=START + timedelta(hours=i), open=1.1000, high=1.1010, low=1.0990,
                   close=1.1005 if i % 2 else 1.0995, volume=1.0) for i in range(count)]


def _position(ref: str, side: Side, price: float, sl: float, tp: float) -> Position:
    return Position(id=ref, symbol="EURUSD", type=side, volume=0.1, open_price=price, sl=sl, tp=tp, profit=0.0)


def _overlap(a: PlacedLabel, b: PlacedLabel) -> bool:
    ax0, ay0, ax1, ay1 = a.box
    bx0, by0, bx1, by1 = b.box
    return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1


def test_labels_of_close_levels_do_not_overlap_and_name_their_position() -> None:
    positions = [
        _position("pos_AAAA111111", Side.BUY, 1.10000, 1.09700, 1.10400),
        _position("pos_BBBB222222", Side.BUY, 1.10001, 1.09701, 1.10401),
        _position("pos_CCCC333333", Side.SELL, 1.09998, 1.10401, 1.09699),
    ]
    orders = [PendingOrder(id="ord_DDDD444444", symbol="EURUSD", type="SELL_LIMIT", volume=0.3, price=1.10402)]
    rendered = render_candles("EURUSD", "H1", _candles(), position_levels(positions) + order_levels(orders),
                              zone=BERLIN, digits=5)
    labels = rendered.labels
    assert len(labels) == 10
    for i, one in enumerate(labels):
        for other in labels[i + 1:]:
            assert not _overlap(one, other), (one.text, other.text)
    for label in labels:
        assert label.text.endswith(f" · {label.ref}"), label.text
        assert label.box[2] <= rendered.width  # inside the image
    assert {label.text for label in labels if label.kind == "sl"} == {
        "SL 1.09700 · pos_AAAA111111", "SL 1.09701 · pos_BBBB222222", "SL 1.10401 · pos_CCCC333333"}


def test_a_single_positions_labels_stay_short() -> None:
    levels = position_levels([_position("pos_AAAA111111", Side.BUY, 1.10000, 1.09700, 1.10400)])
    rendered = render_candles("EURUSD", "H1", _candles(), levels, zone=BERLIN, digits=5)
    assert sorted(label.text for label in rendered.labels) == ["BUY 0.10 1.10000", "SL 1.09700", "TP 1.10400"]


@pytest.mark.parametrize("wanted", [[100.0, 101.0, 102.0], [5.0, 5.0, 5.0, 5.0], [300.0, 10.0, 12.0, 298.0]])
def test_spread_labels_keeps_order_and_gap_within_the_column(wanted: list[float]) -> None:
    placed = spread_labels(wanted, gap=11.0, low=0.0, high=300.0)
    order = sorted(range(len(wanted)), key=lambda i: (wanted[i], i))
    ys = [placed[i] for i in order]
    assert all(b - a >= 11.0 - 1e-9 for a, b in itertools.pairwise(ys))
    assert all(0.0 <= y <= 300.0 for y in ys)


def test_spread_labels_centres_a_cluster_on_its_levels_and_leaves_lone_labels_alone() -> None:
    placed = spread_labels([100.0, 100.0, 200.0], gap=10.0, low=0.0, high=300.0)
    assert placed == [95.0, 105.0, 200.0]
