"""Charts for a chat: candles plus the account's positions and pending orders on a symbol, rendered off the loop.

Constructor: `ChartService(*, storage: Storage, brokers: BrokerProvider)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fxbot.domain.broker import Candle, PendingOrder, Position, Timeframe
from fxbot.domain.formatting import format_volume, price_digits
from fxbot.errors import UsageError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.chart_types import PriceLevel, RenderedChart
from fxbot.services.pnl_figures import CurvePoint, thin_curve
from fxbot.services.upstream import upstream_call
from fxbot.storage import Storage

DEFAULT_CHART_BARS = 120
MIN_CHART_BARS = 10
MAX_CHART_BARS = 500
MAX_CURVE_POINTS = 2000


@dataclass(frozen=True, slots=True)
class SymbolChart:
    """A rendered chart and what is on it."""

    symbol: str
    timeframe: Timeframe
    rendered: RenderedChart
    positions: int
    orders: int

    @property
    def filename(self) -> str:
        return f"{self.symbol}_{self.timeframe.value}.png"


def position_levels(positions: Sequence[Position]) -> list[PriceLevel]:
    """Entry, SL and TP lines of each position."""
    levels: list[PriceLevel] = []
    for p in positions:
        levels.append(PriceLevel("entry", p.open_price, f"{p.type.value} {format_volume(p.volume)}", p.id))
        if p.sl is not None:
            levels.append(PriceLevel("sl", p.sl, "SL", p.id))
        if p.tp is not None:
            levels.append(PriceLevel("tp", p.tp, "TP", p.id))
    return levels


def order_levels(orders: Sequence[PendingOrder]) -> list[PriceLevel]:
    """One line per pending order at its price."""
    return [PriceLevel("order", o.price, f"{o.type.value} {format_volume(o.volume)}", o.id) for o in orders]


class ChartService:
    """Reads candles, positions and orders with the chat's key and renders in a worker thread."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider) -> None:
        self._storage = storage
        self._brokers = brokers

    def __repr__(self) -> str:
        return "ChartService()"

    async def symbol_chart(
        self, chat_id: str, symbol: str, timeframe: Timeframe, bars: int, zone: ZoneInfo
    ) -> SymbolChart:
        """The last `bars` candles of `symbol` with the account's positions and orders on it."""
        if not MIN_CHART_BARS <= bars <= MAX_CHART_BARS:
            raise UsageError(f"a chart shows {MIN_CHART_BARS}-{MAX_CHART_BARS} bars (you asked for {bars})")
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what=f"read the {symbol} chart data"):
            series, positions, orders = await asyncio.gather(
                bound.broker.get_candles(symbol, timeframe=timeframe, limit=bars, account_id=bound.account_id),
                bound.broker.get_positions(account_id=bound.account_id),
                bound.broker.get_orders(account_id=bound.account_id),
            )
        mine = [p for p in positions if p.symbol == series.symbol]
        pending = [o for o in orders if o.symbol == series.symbol]
        levels = position_levels(mine) + order_levels(pending)
        rendered = await asyncio.to_thread(
            render_candles, series.symbol, timeframe.value, series.candles, levels,
            zone=zone, digits=price_digits(series.symbol),
        )
        return SymbolChart(series.symbol, timeframe, rendered, positions=len(mine), orders=len(pending))


def curve_caption(title: str, points: Sequence[CurvePoint]) -> str:
    """What the curve image shows: the balance, and the equity now when the period includes now."""
    shows = "balance and equity now" if any(p.kind == "equity" for p in points) else "balance"
    return f"{title}: {shows}"


def curve_filename(prefix: str, start: datetime, made_at: datetime, zone: ZoneInfo) -> str:
    """A file name per report ("pnl_20260402_at_20260403-091502.png"): a later one never replaces it."""
    return f"{prefix}_{start.astimezone(zone):%Y%m%d}_at_{made_at.astimezone(zone):%Y%m%d-%H%M%S}.png"


async def equity_curve_png(points: Sequence[CurvePoint], *, title: str, currency: str, zone: ZoneInfo
                           ) -> RenderedChart:
    """The equity-curve PNG, rendered in a worker thread (at most MAX_CURVE_POINTS points are drawn)."""
    drawn = thin_curve(points, MAX_CURVE_POINTS) if len(points) >= 2 else list(points)
    return await asyncio.to_thread(render_equity_curve, drawn, title=title, currency=currency, zone=zone)


# matplotlib is imported by the first chart, in its worker thread: a bot that draws none never loads it


def render_candles(symbol: str, timeframe: str, candles: Sequence[Candle], levels: Sequence[PriceLevel], *,
                   zone: ZoneInfo, digits: int) -> RenderedChart:
    """fxbot.services.chart_render.render_candles (blocking: run it in a thread)."""
    from fxbot.services.chart_render import render_candles as draw

    return draw(symbol, timeframe, candles, levels, zone=zone, digits=digits)


def render_equity_curve(points: Sequence[CurvePoint], *, title: str, currency: str, zone: ZoneInfo) -> RenderedChart:
    """fxbot.services.chart_render.render_equity_curve (blocking: run it in a thread)."""
    from fxbot.services.chart_render import render_equity_curve as draw

    return draw(points, title=title, currency=currency, zone=zone)
