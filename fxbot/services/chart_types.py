"""What a chart shows, apart from how it is drawn: levels, plotted lines, labels and the rendered PNG.

Kept apart from fxbot.services.chart_render so the bot imports matplotlib (tens of MB) only when it
draws its first chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LineKind = Literal["entry", "sl", "tp", "order"]


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
class PlacedLabel:
    """A level's label as drawn: its text and its box in pixels (x0, y0, x1, y1), for tests."""

    ref: str
    kind: str
    text: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class RenderedChart:
    """The PNG and what was plotted: candles, horizontal lines and their labels, the curve's values,
    its legend and the value axis' tick labels."""

    png: bytes
    width: int
    height: int
    candles: int
    lines: tuple[PlottedLine, ...]
    values: tuple[float, ...] = ()
    labels: tuple[PlacedLabel, ...] = ()
    legend: tuple[str, ...] = ()
    y_ticks: tuple[str, ...] = ()
    x_label: str = ""
    x_span: tuple[str, str] = ("", "")  # the first and last time drawn, as the axis shows them
