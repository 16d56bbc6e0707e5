"""Market commands: /quote (one or several symbols), /candles (OHLC table), /history (closed trades, paged)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs, count_argument
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import MAX_ACTION_LENGTH, Button, Reply, ReplyKind, Table
from fxbot.commands.history_args import HISTORY_EXAMPLE, HISTORY_USAGE, parse_history_query
from fxbot.commands.period_args import MAX_PAGE
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import Candle, Quote, Timeframe
from fxbot.domain.formatting import (
    chat_zone,
    format_money,
    format_price,
    format_signed_money,
    format_time,
    format_volume,
)
from fxbot.domain.instruments import INSTRUMENTS, instrument
from fxbot.services.market import DEFAULT_CANDLES, MAX_CANDLES, MAX_QUOTE_SYMBOLS, TradeHistory
from fxbot.services.pnl_figures import money_sum, trade_figures, trade_net

if TYPE_CHECKING:
    from fxbot.services.container import Services

READ = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
HISTORY_PAGE_SIZE = 20
CATEGORY = "market"


def spread_pips(quote: Quote) -> float | None:
    """The spread in pips from the instrument's pip size, else FxSocket's own figure."""
    spec = instrument(quote.symbol)
    if spec is None:
        return quote.spread
    return spec.pips((spec.to_points(quote.ask) - spec.to_points(quote.bid)) * spec.point)


def _pips_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def quotes_reply(quotes: list[Quote], timezone: str) -> Reply:
    """One quote as lines; several as a table."""
    if len(quotes) == 1:
        q = quotes[0]
        return Reply(
            title=q.symbol,
            text=(
                f"bid {format_price(q.symbol, q.bid)}   ask {format_price(q.symbol, q.ask)}",
                f"spread {_pips_text(spread_pips(q))} pips",
                f"at {format_time(q.time, timezone, seconds=True)}",
            ),
        )
    rows = tuple(
        (
            q.symbol,
            format_price(q.symbol, q.bid),
            format_price(q.symbol, q.ask),
            _pips_text(spread_pips(q)),
            format_time(q.time, timezone, seconds=True),
        )
        for q in quotes
    )
    return Reply(
        title="Quotes",
        table=Table(
            headers=("Symbol", "Bid", "Ask", "Spread (pips)", "Time"),
            rows=rows,
            align=("l", "r", "r", "r", "l"),
        ),
    )


def candles_reply(symbol: str, timeframe: str, candles: list[Candle], timezone: str) -> Reply:
    """An OHLC table, oldest first."""
    if not candles:
        return Reply(title=f"{symbol} {timeframe}", text=("no candles for this symbol and timeframe",))
    rows = tuple(
        (
            format_time(c.time, timezone),
            format_price(symbol, c.open),
            format_price(symbol, c.high),
            format_price(symbol, c.low),
            format_price(symbol, c.close),
        )
        for c in candles
    )
    return Reply(
        title=f"{symbol} {timeframe} — last {len(candles)} candles",
        table=Table(
            headers=("Time", "Open", "High", "Low", "Close"), rows=rows, align=("l", "r", "r", "r", "r")
        ),
    )


def history_reply(history: TradeHistory, *, page: int, words: str, timezone: str) -> Reply:
    """One page of closed trades, a totals line over the whole period and how to see the other pages."""
    scope = f"{history.period.label}" + (f", {history.symbol}" if history.symbol else "")
    title = f"Closed trades — {scope}"
    trades = history.trades
    if not trades:
        return Reply(title=title, text=(f"no closed trades {scope}",))
    pages = (len(trades) + HISTORY_PAGE_SIZE - 1) // HISTORY_PAGE_SIZE
    if page > pages:
        return Reply(
            title=title,
            kind=ReplyKind.ERROR,
            text=(f"there are only {pages} page(s) of trades {scope} — nothing on page {page}",),
        )
    shown = trades[(page - 1) * HISTORY_PAGE_SIZE : page * HISTORY_PAGE_SIZE]
    ccy = history.currency
    rows = tuple(
        (
            format_time(t.closed_at, timezone),
            t.symbol,
            t.type.value,
            format_volume(t.volume),
            format_price(t.symbol, t.open_price),
            format_price(t.symbol, t.close_price),
            format_signed_money(trade_net(t), None),
            t.reason or "—",
        )
        for t in shown
    )
    figures = trade_figures(trades)
    costs = money_sum((figures.commission, figures.swap))
    lines = [
        f"{len(trades)} trades, {figures.wins} won — net {format_signed_money(figures.net, ccy)} "
        f"(profit {format_money(figures.profit, ccy)}, commission and swap {format_money(costs, ccy)})"
    ]
    if history.truncated:
        lines.append(
            f"only the latest {len(trades)} of {history.total} trades are counted — narrow the period"
        )
    if pages > 1:
        hint = f"/history {words} page {page + 1}" if page < pages else f"/history {words} page 1"
        lines.append(f"page {page} of {pages} — {hint}")
    return Reply(
        buttons=history_buttons(words, page, pages),
        title=title,
        table=Table(
            headers=("Closed", "Symbol", "Side", "Volume", "Entry", "Exit", f"Net P&L ({ccy or '?'})", "Reason"),
            rows=rows,
            align=("l", "l", "l", "r", "r", "r", "r", "l"),
        ),
        text=tuple(lines),
    )


def history_buttons(words: str, page: int, pages: int) -> tuple[Button, ...]:
    """Refresh (this page) and Next buttons; a button's action runs as a command for whoever presses it.
    A button whose command would be too long for a button is left out (the text hint remains)."""
    wanted = [("Refresh", page)] + ([("Next", page + 1)] if page < pages else [])
    return tuple(Button(label, f"/history {words} page {n}") for label, n in wanted
                 if len(f"/history {words} page {n}") <= MAX_ACTION_LENGTH)


async def _timezone(cmd: CommandContext[Services]) -> str:
    return await cmd.services.chat_settings.timezone(cmd.chat.id)


async def quote_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    symbols = list(args.symbols("symbols"))
    quotes = await cmd.services.market.quotes(cmd.chat.id, symbols)
    return quotes_reply(quotes, await _timezone(cmd))


async def candles_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    symbol = args.text("symbol")
    timeframe = Timeframe(args.optional("timeframe", str) or Timeframe.H1.value)
    count = args.optional("count", int) or DEFAULT_CANDLES
    series = await cmd.services.market.candles(cmd.chat.id, symbol, timeframe, count)
    return candles_reply(series.symbol, series.timeframe.value, series.candles, await _timezone(cmd))


async def history_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    timezone = await _timezone(cmd)
    query = parse_history_query(
        args.optional("filter", str) or "",
        now=cmd.now,
        zone=chat_zone(timezone),
        symbols=SymbolResolver(INSTRUMENTS),
        page_option=args.optional("page", int),
    )
    history = await cmd.services.market.history(cmd.chat.id, query.period, query.symbol)
    return history_reply(history, page=query.page, words=query.words, timezone=timezone)


def register(registry: CommandRegistry[Services]) -> None:
    """Add /quote, /candles and /history."""
    registry.register(
        CommandSpec(
            name="quote",
            aliases=("q", "price"),
            summary="Current bid, ask and spread of one or more symbols",
            usage="/quote SYMBOL [SYMBOL…]",
            examples=("/quote EURUSD", "/quote EURUSD GBPUSD XAUUSD"),
            arguments=(
                Argument("symbols", ArgKind.SYMBOLS, help="one or more symbols", max=MAX_QUOTE_SYMBOLS),
            ),
            permission=READ,
            handler=quote_command,
            category=CATEGORY,
        )
    )
    registry.register(
        CommandSpec(
            name="candles",
            aliases=(),
            summary="Recent candles of a symbol as an OHLC table",
            usage="/candles SYMBOL [TIMEFRAME] [COUNT]",
            examples=("/candles EURUSD", "/candles XAUUSD M15 50"),
            arguments=(
                Argument("symbol", ArgKind.SYMBOL, help="e.g. EURUSD"),
                Argument(
                    "timeframe",
                    ArgKind.TIMEFRAME,
                    required=False,
                    default=Timeframe.H1.value,
                    help="M1 M5 M15 M30 H1 H4 D1 W1 MN (default H1)",
                ),
                count_argument("count", "candles", default=DEFAULT_CANDLES, maximum=MAX_CANDLES),
            ),
            permission=READ,
            handler=candles_command,
            category=CATEGORY,
        )
    )
    registry.register(
        CommandSpec(
            name="history",
            aliases=(),
            summary="Closed trades of a period: entry and exit prices, net P&L and totals",
            usage=HISTORY_USAGE,
            examples=("/history", HISTORY_EXAMPLE, "/history month page 2", "/history 2026-04-01 2026-04-05"),
            arguments=(
                Argument(
                    "filter",
                    ArgKind.TEXT,
                    required=False,
                    max=200,
                    help="today (default), week, month or FROM TO dates, optionally a SYMBOL and page N",
                ),
                Argument(
                    "page",
                    ArgKind.POSITIVE_INT,
                    required=False,
                    keyword=True,
                    min=1,
                    max=MAX_PAGE,
                    help="which page of a long list",
                ),
            ),
            permission=READ,
            handler=history_command,
            category=CATEGORY,
            details=(
                "Periods are in the chat's time zone (/settings timezone). "
                "Net P&L = profit + commission + swap."
            ),
        )
    )
