"""The /pnl command: realized P&L, costs, win rate, balances, positions and the equity curve of a period."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import Image, Reply, Table
from fxbot.commands.pnl_args import PNL_EXAMPLE, PNL_USAGE, parse_pnl_query
from fxbot.domain.access import Role, Scope
from fxbot.domain.formatting import chat_zone
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.charts import curve_caption, curve_filename, equity_curve_png
from fxbot.services.report_text import SYMBOL_HEADERS, report_text
from fxbot.services.reports import PnlReport

if TYPE_CHECKING:
    from fxbot.services.container import Services

READ = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
CATEGORY = "reports"


def pnl_reply(report: PnlReport, timezone: str, image: bytes | None) -> Reply:
    """The report as one reply: lines, a per-symbol table and (when there is a curve) its PNG."""
    text = report_text(report, timezone)
    table = None
    if text.symbol_rows:
        table = Table(headers=SYMBOL_HEADERS, rows=text.symbol_rows, align=("l", "r", "r", "r", "r", "r"))
    picture = None
    if image is not None:
        name = curve_filename("pnl", report.period.start, report.generated_at, chat_zone(timezone))
        picture = Image(data=image, filename=name, caption=curve_caption(text.title, report.curve))
    return Reply(title=text.title, text=text.lines, table=table, image=picture)


async def pnl_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    timezone = await cmd.services.chat_settings.timezone(cmd.chat.id)
    zone = chat_zone(timezone)
    query = parse_pnl_query(args.optional("filter", str) or "", now=cmd.now, zone=zone,
                            symbols=SymbolResolver(INSTRUMENTS))
    report = await cmd.services.reports.build(cmd.chat.id, query.period, symbol=query.symbol,
                                              by_member=not cmd.chat.is_private)
    image = None
    if len(report.curve) >= 2:
        rendered = await equity_curve_png(report.curve, title=f"P&L {report.period.label}",
                                          currency=report.currency, zone=zone)
        image = rendered.png
    return pnl_reply(report, timezone, image)


def register(registry: CommandRegistry[Services]) -> None:
    """Add /pnl."""
    registry.register(
        CommandSpec(
            name="pnl",
            aliases=("report",),
            summary="P&L of a period: net, costs, win rate, balances, positions and the equity curve",
            usage=PNL_USAGE,
            examples=("/pnl", "/pnl yesterday", PNL_EXAMPLE, "/pnl 2026-04-01 2026-04-05"),
            arguments=(
                Argument("filter", ArgKind.TEXT, required=False, max=200,
                         help="today (default), yesterday, week, month or FROM TO dates, optionally a SYMBOL"),
            ),
            permission=READ,
            handler=pnl_command,
            category=CATEGORY,
            details=("Periods are whole days in the chat's time zone (/settings timezone). "
                     "Net = profit + commission + swap; a win is a trade with a positive net. "
                     "Profit factor = total net of winners / total net of losers. In shared chats the "
                     "P&L of orders placed through the bot is shown per member."),
        )
    )
