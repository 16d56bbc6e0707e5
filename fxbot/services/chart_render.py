"""Blocking matplotlib rendering (Agg canvas, no pyplot) of candlestick and equity-curve PNGs; run it in a thread.

Nothing here touches pyplot or matplotlib's global backend: each call builds its own `Figure` on a
`FigureCanvasAgg`, so renders may run concurrently in worker threads (`asyncio.to_thread`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from fxbot.domain.broker import Candle
from fxbot.services.chart_labels import spread_labels
from fxbot.services.chart_types import LineKind as LineKind
from fxbot.services.chart_types import PlacedLabel as PlacedLabel
from fxbot.services.chart_types import PlottedLine as PlottedLine
from fxbot.services.chart_types import PriceLevel as PriceLevel
from fxbot.services.chart_types import RenderedChart as RenderedChart
from fxbot.services.pnl_figures import CurvePoint

WIDTH_PX = 1000
HEIGHT_PX = 560
DPI = 100
UP_COLOR = "#26a69a"
DOWN_COLOR = "#ef5350"
BALANCE_COLOR = "#1e88e5"
EQUITY_COLOR = "#fb8c00"
LINE_STYLES: dict[LineKind, tuple[str, str]] = {  # colour, dash style
    "entry": ("#1e88e5", "-"),
    "sl": ("#e53935", "--"),
    "tp": ("#43a047", "--"),
    "order": ("#fb8c00", ":"),
}
MAX_TICK_LABELS = 8
LABEL_COLUMN = 0.76  # the plot takes this share of the width; level labels sit in the rest, beside it
LABEL_FONT_PT = 7
LABEL_GAP_PX = 11.0  # one label line at LABEL_FONT_PT and DPI, plus air
BALANCE_LABEL = "Balance (closed trades)"
EQUITY_LABEL = "Equity now (with open positions)"
_EPOCH = datetime(1970, 1, 1)


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


def _y_ticks(ax: Axes) -> tuple[str, ...]:
    low, high = ax.get_ylim()
    formatter = ax.yaxis.get_major_formatter()
    return tuple(formatter(tick, i) for i, tick in enumerate(ax.get_yticks()) if low <= tick <= high)


def render_candles(
    symbol: str,
    timeframe: str,
    candles: Sequence[Candle],
    levels: Sequence[PriceLevel],
    *,
    zone: ZoneInfo,
    digits: int,
) -> RenderedChart:
    """A candlestick chart (oldest bar left) with the levels as horizontal lines, labelled beside the plot.

    Labels never overlap (close levels get their labels spread, with a leader to their line); when more
    than one position or order is drawn, each label names the position or order it belongs to."""
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
        ax.set_xlim(-1, len(candles))
    for level in levels:
        color, style = LINE_STYLES[level.kind]
        line = ax.axhline(level.price, color=color, linestyle=style, linewidth=1.1, label=level.label)
        line.set_gid(f"{level.kind}|{level.ref}")
    if candles or levels:
        prices = [c.low for c in candles] + [c.high for c in candles] + [lv.price for lv in levels]
        low, high = min(prices), max(prices)
        pad = (high - low) * 0.05 or 10.0 ** -digits * 10
        ax.set_ylim(low - pad, high + pad)
    ax.yaxis.set_major_formatter(f"{{x:.{digits}f}}")
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.set_title(f"{symbol} {timeframe} — {len(candles)} bars ({zone.key})", fontsize=11)
    figure.tight_layout(rect=(0.0, 0.0, LABEL_COLUMN, 1.0))
    labels = _label_levels(figure, ax, levels, digits)
    plotted = tuple(_plotted_lines(ax))
    return RenderedChart(png=_png(figure), width=WIDTH_PX, height=HEIGHT_PX, candles=len(candles),
                         lines=plotted, labels=labels)


def level_text(level: PriceLevel, digits: int, *, name_owner: bool) -> str:
    """"SL 1.09500", or "SL 1.09500 · pos_…" when several positions or orders share the chart."""
    text = f"{level.label} {level.price:.{digits}f}"
    return f"{text} · {level.ref}" if name_owner else text


def _label_levels(figure: Figure, ax: Axes, levels: Sequence[PriceLevel], digits: int) -> tuple[PlacedLabel, ...]:
    """Each level's label in the column right of the plot, spread so none overlaps another."""
    if not levels:
        return ()
    name_owner = len({level.ref for level in levels}) > 1
    frame = ax.get_window_extent()
    wanted = [float(ax.transData.transform((0.0, level.price))[1]) for level in levels]
    half = LABEL_GAP_PX / 2
    placed = spread_labels(wanted, gap=LABEL_GAP_PX, low=frame.y0 + half, high=frame.y1 - half)
    width, height = figure.bbox.width, figure.bbox.height
    x_line, x_text = frame.x1, frame.x1 + 10.0
    texts = []
    for level, at, y in zip(levels, wanted, placed, strict=True):
        color, _ = LINE_STYLES[level.kind]
        leader = Line2D([x_line / width, (x_line + 4.0) / width, (x_text - 2.0) / width],
                        [at / height, at / height, y / height], transform=figure.transFigure,
                        color=color, linewidth=0.6)
        figure.add_artist(leader)
        texts.append((level, figure.text(x_text / width, y / height, level_text(level, digits, name_owner=name_owner),
                                         fontsize=LABEL_FONT_PT, color=color, ha="left", va="center")))
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    placed_labels = []
    for level, text in texts:
        box = text.get_window_extent(renderer)
        placed_labels.append(PlacedLabel(ref=level.ref, kind=level.kind, text=text.get_text(),
                                         box=(float(box.x0), float(box.y0), float(box.x1), float(box.y1))))
    return tuple(placed_labels)


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


def _from_day_number(value: float) -> datetime:
    return _EPOCH + timedelta(days=value)


def money_ticks(span: float) -> FuncFormatter:
    """Plain value-axis labels with thousands separators ("10,001.50"), never an offset or exponent."""
    decimals = 2 if span < 100 else 0
    return FuncFormatter(lambda value, _: f"{value:,.{decimals}f}")


def render_equity_curve(
    points: Sequence[CurvePoint], *, title: str, currency: str, zone: ZoneInfo
) -> RenderedChart:
    """The balance over the period as a step line (it changes when a trade closes) and, when the period
    includes now, the equity now as a marked point; a legend names both, times are in `zone`."""
    figure = _new_figure()
    ax = figure.add_subplot(1, 1, 1)
    balance = [p for p in points if p.kind == "balance"]
    equity = [p for p in points if p.kind == "equity"]
    ys = [p.value for p in points]
    if balance:
        xs = [_day_number(_local(p.at, zone)) for p in balance]
        values = [p.value for p in balance]
        end = max([balance[-1].at, *(p.at for p in equity)])
        xs.append(_day_number(_local(end, zone)))  # the last balance holds until the end of the curve
        values.append(values[-1])
        ax.step(xs, values, where="post", color=BALANCE_COLOR, linewidth=1.4, label=BALANCE_LABEL)
        ax.fill_between(xs, values, min(ys), step="post", alpha=0.08, color=BALANCE_COLOR)
        ax.axhline(values[0], color="#9e9e9e", linestyle=":", linewidth=0.8,
                   label=f"Balance at the start ({values[0]:,.2f})")
    for point in equity:
        x = _day_number(_local(point.at, zone))
        if balance:
            ax.plot([x, x], [balance[-1].value, point.value], color=EQUITY_COLOR, linestyle="--", linewidth=1.0)
        ax.plot([x], [point.value], marker="o", color=EQUITY_COLOR, linestyle="none",
                label=f"{EQUITY_LABEL}: {point.value:,.2f}")
    if ys:
        low, high = min(ys), max(ys)
        span = high - low
        pad = span * 0.12 if span > 0 else max(abs(high) * 0.0005, 1.0)
        ax.set_ylim(low - pad, high + pad)
        ax.yaxis.set_major_formatter(money_ticks(span + 2 * pad))
    ax.xaxis_date()  # date ticks; the values are already local times, so they print as they are
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{_from_day_number(value):%m-%d %H:%M}"))
    ax.set_ylabel(currency)
    x_label = f"time ({zone.key})"
    ax.set_xlabel(x_label)
    ax.grid(True, linewidth=0.3, alpha=0.5)
    ax.set_title(title, fontsize=11)
    legend = ax.legend(loc="best", fontsize=8, frameon=False) if points else None
    figure.autofmt_xdate()
    figure.tight_layout()
    return RenderedChart(
        png=_png(figure), width=WIDTH_PX, height=HEIGHT_PX, candles=0, lines=(), values=tuple(ys),
        legend=tuple(t.get_text() for t in legend.get_texts()) if legend is not None else (),
        y_ticks=_y_ticks(ax), x_label=x_label, x_span=_x_span(ax) if points else ("", ""),
    )


def _x_span(ax: Axes) -> tuple[str, str]:
    first, last = ax.dataLim.x0, ax.dataLim.x1
    return (f"{_from_day_number(first):%Y-%m-%d %H:%M}", f"{_from_day_number(last):%Y-%m-%d %H:%M}")
