"""The /export command: the chat's closed trades or daily P&L of a period as a CSV file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import Document, Reply, ReplyKind
from fxbot.commands.period_args import PeriodGrammar, parse_period_query
from fxbot.domain.access import Role, Scope
from fxbot.domain.formatting import chat_zone
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.exports import MAX_EXPORT_ROWS, ExportService
from fxbot.services.periods import REPORT_PERIODS

if TYPE_CHECKING:
    from fxbot.services.container import Services

USAGE = "/export history|pnl [today|yesterday|week|month|FROM TO] [SYMBOL]"
EXAMPLE = "/export history month EURUSD"
HISTORY_GRAMMAR = PeriodGrammar(usage=USAGE, example=EXAMPLE, periods=REPORT_PERIODS)
PNL_GRAMMAR = PeriodGrammar(usage=USAGE, example="/export pnl month", periods=REPORT_PERIODS)
CSV = "text/csv"


async def export_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    what = args.value("what", str)
    timezone = await cmd.services.chat_settings.timezone(cmd.chat.id)
    zone = chat_zone(timezone)
    grammar = HISTORY_GRAMMAR if what == "history" else PNL_GRAMMAR
    query = parse_period_query(args.optional("filter", str) or "", grammar, now=cmd.now, zone=zone,
                               symbols=SymbolResolver(INSTRUMENTS))
    if what == "pnl" and query.symbol is not None:
        raise grammar.fail("/export pnl covers the whole account — for one symbol use /export history … SYMBOL")
    service = ExportService(storage=cmd.services.storage, brokers=cmd.services.brokers)
    stamp = query.period.start.astimezone(zone).strftime("%Y%m%d")
    if what == "history":
        export = await service.history_csv(cmd.chat.id, query.period, query.symbol, zone)
        name = f"history-{stamp}{'-' + query.symbol if query.symbol else ''}.csv"
        summary = f"{export.rows} closed trade(s), {query.period.label}{' ' + query.symbol if query.symbol else ''}"
    else:
        export = await service.pnl_csv(cmd.chat.id, query.period, zone)
        name = f"pnl-{stamp}.csv"
        summary = f"{export.rows} day(s) with closed trades, {query.period.label}"
    lines = [f"{summary}; times in {timezone}"]
    if export.truncated:
        lines.append(f"cut at {MAX_EXPORT_ROWS} rows — export a shorter period for the rest")
    return Reply(title=f"Export: {what}", text=tuple(lines), kind=ReplyKind.OK,
                 document=Document(export.data, name, caption=summary, mime_type=CSV))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /export."""
    registry.register(CommandSpec(
        name="export",
        aliases=(),
        summary="Closed trades or daily P&L of a period as a CSV file",
        usage=USAGE,
        examples=(EXAMPLE, "/export history week", "/export pnl month", "/export pnl 2026-01-01 2026-03-31"),
        arguments=(
            Argument("what", ArgKind.CHOICE, choices=("history", "pnl"),
                     help="history (one row per closed trade) or pnl (one row per day)"),
            Argument("filter", ArgKind.TEXT, required=False, max=100,
                     help="today, yesterday, week, month or FROM TO (YYYY-MM-DD), and a symbol for history"),
        ),
        permission=Permission(scope=Scope.READ_ONLY, role=Role.VIEWER),
        handler=export_command,
        category="reports",
        details=("history: ticket, symbol, side, volume, open and close times in the chat's time zone, prices, "
                 "profit, commission, swap, net, the close reason and who placed it through the bot ('outside "
                 "the bot' otherwise). pnl: per day, trades, profit, costs, net and the running net. Read page by "
                 f"page from the account; at most {MAX_EXPORT_ROWS} rows."),
    ))
