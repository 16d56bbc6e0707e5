"""The /chart command: a candlestick PNG of a symbol with the account's positions and pending orders on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs, count_argument
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Image, Reply
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import Timeframe
from fxbot.domain.formatting import chat_zone
from fxbot.services.charts import DEFAULT_CHART_BARS, MAX_CHART_BARS, MIN_CHART_BARS, SymbolChart

if TYPE_CHECKING:
    from fxbot.services.container import Services

READ = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
CATEGORY = "market"


def chart_reply(chart: SymbolChart) -> Reply:
    """The chart as an image with a caption saying what is drawn."""
    drawn = []
    if chart.positions:
        drawn.append(f"{chart.positions} position(s): entry, SL and TP lines")
    if chart.orders:
        drawn.append(f"{chart.orders} pending order(s) as levels")
    what = "; ".join(drawn) if drawn else "no open positions or orders on this symbol"
    caption = f"{chart.symbol} {chart.timeframe.value}, {chart.rendered.candles} bars — {what}"
    return Reply(image=Image(data=chart.rendered.png, filename=chart.filename, caption=caption))


async def chart_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    symbol = args.text("symbol")
    timeframe = Timeframe(args.optional("timeframe", str) or Timeframe.H1.value)
    bars = args.optional("bars", int) or DEFAULT_CHART_BARS
    zone = chat_zone(await cmd.services.chat_settings.timezone(cmd.chat.id))
    chart = await cmd.services.charts.symbol_chart(cmd.chat.id, symbol, timeframe, bars, zone)
    return chart_reply(chart)


def register(registry: CommandRegistry[Services]) -> None:
    """Add /chart."""
    registry.register(
        CommandSpec(
            name="chart",
            aliases=(),
            summary="Candlestick chart of a symbol with your positions (entry/SL/TP) and pending orders",
            usage="/chart SYMBOL [TIMEFRAME] [BARS]",
            examples=("/chart EURUSD", "/chart XAUUSD M15 200"),
            arguments=(
                Argument("symbol", ArgKind.SYMBOL, help="e.g. EURUSD"),
                Argument("timeframe", ArgKind.TIMEFRAME, required=False, default=Timeframe.H1.value,
                         help="M1 M5 M15 M30 H1 H4 D1 W1 MN (default H1)"),
                count_argument("bars", "bars", default=DEFAULT_CHART_BARS, minimum=MIN_CHART_BARS,
                               maximum=MAX_CHART_BARS),
            ),
            permission=READ,
            handler=chart_command,
            category=CATEGORY,
            details="Times on the axis are in the chat's time zone (/settings timezone).",
        )
    )
