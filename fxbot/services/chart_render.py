"""Blocking matplotlib rendering (Agg canvas, no pyplot) of candlestick and equity-curve PNGs; run it in a thread.

Nothing here touches pyplot or matplotlib's global backend: each call builds its own `Figure` on a
`FigureCanvasAgg`, so renders may run concurrently in worker threads (`asyncio.to_thread`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fxbot.fxsocket.models import Candle
from fxbot.services.pnl_figures import CurvePoint

WIDTH_PX = 1000
HEIGHT_PX = 560
DPI = 100
UP_COLOR = "#26a69a"
DOWN_COLOR = "#ef5350"
LineKind = Literal["entry", "sl", "tp", "order"]
LINE_STYLES: dict[LineKind, tuple[str, str]] = {  # colour, dash style
    "entry": ("#1e88e5", "-"),
    "sl": ("#e53935", "--"),
    "tp": ("#43a047", "--"),
    "order": ("#fb8c00", ":"),
}
MAX_TICK_LABELS = 8
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class PriceLevel:
    """A horizontal level to draw: a position's entry/SL/TP or a pending order's price."""

    kind: LineKind
    price: float
    label: str
    ref: str  # pos_… / ord_…


@dataclass(frozen=True, slots=True)
class PlottedLine:
    """A horizontal line as matplotlib holds it after drawing (read back from the Axes, for tests)."""

    kind: str
    ref: str
    label: str
    y: float


@dataclass(frozen=True, slots=True)
class RenderedChart:
    """The PNG and what was plotted: the candle count, horizontal lines and the curve's values."""

    png: bytes
    width: int
    height: int
    candles: int
    lines: tuple[PlottedLine, ...]
    values: tuple[float, ...] = ()


def _new_figure() -> Figure:
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)  # no bbox_inches="tight": the size stays exact
    return buffer.getvalue()


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def render_candles(
    symbol: str,
    timeframe: str,
    candles: Sequence[Candle],
    levels: Sequence[PriceLevel],
    *,
    zone: ZoneInfo,
    digits: int,
) -> RenderedChart:
    """A candlestick chart (oldest bar left) with the levels as labelled horizontal lines."""
    figure = _new_figure()
    ax = figure.add_subplot(1, 1, 1)
    xs = list(range(len(candles)))
    up = [c.close >= c.open for c in candles]
    colors = [UP_COLOR if rising else DOWN_COLOR for rising in up]
    if candles:
        ax.vlines(xs, [c.low for c in candles], [c.high for c in candles], colors=colors, linewidth=0.8)
        bottoms = [min(c.open, c.close) for c in candles]
        heights = [max(abs(c.close - c.open), 10.0 ** -digits) for c in candles]
        ax.bar(xs, heights, bottom=bottoms, width=0.6, color=colors, edgecolor=colors, linewidth=0.5)
        step = max(1, len(candles) // MAX_TICK_LABELS)
        ticks = xs[::step]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{_local(candles[i].time, zone):%m-%d %H:%M}" for i in ticks], fontsize=8)
        ax.set_xlim(-1, len(candles) + max(3, len(candles) // 8))  # room on the right for level labels
    for level in levels:
        color, style = LINE_STYLES[level.kind]
        line = ax.axhline(level.price, color=color, linestyle=style, linewidth=1.1, label=level.label)
        line.set_gid(f"{level.kind}|{level.ref}")
        ax.annotate(f"{level.label} {level.price:.{digits}f}", xy=(1.0, level.price),
                    xycoords=("axes fraction", "data"), xytext=(-4, 2), textcoords="offset points",
                    ha="right", va="bottom", fontsize=7, color=color)
    if candles or levels:
        prices = [c.low for c in candles] + [c.high for c in candles] + [lv.price for lv in levels]
        low, high = min(prices), max(prices)
        pad = (high - low) * 0.05 or 10.0 ** -digits * 10
        ax.set_ylim(low - pad, high + pad)
    ax.yaxis.set_major_formatter(f"{{x:.{digits}f}}")
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.set_title(f"{symbol} {timeframe} — {len(candles)} bars ({zone.key})", fontsize=11)
    figure.tight_layout()
    plotted = tuple(_plotted_lines(ax))
    return RenderedChart(png=_png(figure), width=WIDTH_PX, height=HEIGHT_PX, candles=len(candles),
                         lines=plotted)


def _plotted_lines(ax: Axes) -> list[PlottedLine]:
    found: list[PlottedLine] = []
    for line in ax.get_lines():
        gid = line.get_gid()
        if not gid or "|" not in gid:
            continue
        kind, ref = gid.split("|", 1)
        ydata = np.asarray(line.get_ydata(), dtype=float)
        found.append(PlottedLine(kind=kind, ref=ref, label=str(line.get_label()), y=float(ydata[0])))
    return found


def _day_number(moment: datetime) -> float:
    """matplotlib's date number (days since its default 1970-01-01 epoch) of a naive local time."""
    return (moment - _EPOCH).total_seconds() / 86_400.0


def render_equity_curve(
    points: Sequence[CurvePoint], *, title: str, currency: str, zone: ZoneInfo
) -> RenderedChart:
    """The account value over the period as a step line (it changes when a trade closes)."""
    figure = _new_figure()
    ax = figure.add_subplot(1, 1, 1)
    xs = [_day_number(_local(p.at, zone)) for p in points]
    ys = [p.value for p in points]
    if points:
        ax.step(xs, ys, where="post", color="#1e88e5", linewidth=1.4)
        ax.fill_between(xs, ys, min(ys), step="post", alpha=0.08, color="#1e88e5")
        ax.axhline(ys[0], color="#9e9e9e", linestyle=":", linewidth=0.8)
    ax.xaxis_date()
    ax.set_ylabel(currency)
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.set_title(f"{title} ({zone.key})", fontsize=11)
    figure.autofmt_xdate()
    figure.tight_layout()
    return RenderedChart(png=_png(figure), width=WIDTH_PX, height=HEIGHT_PX, candles=0, lines=(),
                         values=tuple(ys))
