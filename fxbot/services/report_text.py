"""A PnlReport as plain-text lines and a per-symbol table, shared by /pnl and the scheduled digest."""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.domain.formatting import (
    format_money,
    format_percent,
    format_price,
    format_signed_money,
    format_time,
    format_volume,
)
from fxbot.services.pnl_figures import FLOATING_PNL_LABEL, position_net, trade_net
from fxbot.services.reports import PnlReport

MAX_SYMBOL_ROWS = 12
MAX_POSITION_LINES = 10
MAX_MEMBER_LINES = 10
SYMBOL_HEADERS = ("Symbol", "Trades", "Won", "Profit", "Costs", "Net")


@dataclass(frozen=True, slots=True)
class ReportText:
    """The report as a title, lines (summary, balances, positions, members) and per-symbol rows."""

    title: str
    lines: tuple[str, ...]
    symbol_rows: tuple[tuple[str, ...], ...]

    def symbol_lines(self) -> tuple[str, ...]:
        """The per-symbol rows as lines, for messages without tables (the digest)."""
        return tuple(f"  {r[0]}: {r[1]} trades, {r[2]} won, net {r[5]}" for r in self.symbol_rows)


def _factor(value: float | None, has_wins: bool) -> str:
    if value is None:
        return "∞ (no losing trades)" if has_wins else "—"
    return f"{value:.2f}"


def report_text(report: PnlReport, timezone: str, *, title: str | None = None) -> ReportText:
    """Everything the issue lists, in reading order; money in the account currency."""
    ccy = report.currency
    fig = report.figures
    scope = report.period.label + (f", {report.symbol}" if report.symbol else "")
    lines: list[str] = [
        f"{format_time(report.period.start, timezone)} → {format_time(report.period.end, timezone)}",
        f"net {format_signed_money(fig.net, ccy)} = profit {format_signed_money(fig.profit, None)}"
        f" + commission {format_money(fig.commission, None)} + swap {format_money(fig.swap, None)}",
    ]
    if fig.trades:
        lines.append(
            f"{fig.trades} trades: {fig.wins} won, {fig.losses} lost — win rate {format_percent(fig.win_rate)},"
            f" profit factor {_factor(fig.profit_factor, fig.wins > 0)}"
        )
        if fig.best is not None and fig.worst is not None:
            lines.append(
                f"best {format_signed_money(trade_net(fig.best), None)} ({fig.best.symbol} {fig.best.type.value}),"
                f" worst {format_signed_money(trade_net(fig.worst), None)}"
                f" ({fig.worst.symbol} {fig.worst.type.value})"
            )
    else:
        lines.append("no closed trades")
    lines.append(_balance_line(report))
    lines.append(_equity_line(report))
    lines.append(f"margin level now {format_percent(report.margin_level)}")
    lines.extend(_position_lines(report))
    lines.extend(_member_lines(report))
    if report.truncated:
        lines.append("the history is too long to read entirely: balances at start and end are not shown")
    rows = tuple(
        (s.symbol, str(s.trades), str(s.wins), format_money(s.profit, None),
         format_money(s.commission + s.swap, None), format_signed_money(s.net, None))
        for s in fig.symbols[:MAX_SYMBOL_ROWS]
    )
    return ReportText(title=title or f"P&L — {scope}", lines=tuple(lines), symbol_rows=rows)


def _balance_line(report: PnlReport) -> str:
    if report.balance_start is None or report.balance_end is None:
        return f"balance now {format_money(report.balance_now, report.currency)}"
    return (f"balance {format_money(report.balance_start, None)} → "
            f"{format_money(report.balance_end, report.currency)}")


def _equity_line(report: PnlReport) -> str:
    start = format_money(report.equity_start, None)
    if report.equity_end is not None:
        return f"equity {start} → {format_money(report.equity_end, report.currency)} (now)"
    return f"equity now {format_money(report.equity_now, report.currency)}"


def _position_lines(report: PnlReport) -> list[str]:
    if not report.positions:
        return ["no open positions"]
    floating = format_signed_money(report.floating.net, report.currency)
    lines = [f"{len(report.positions)} open positions, {FLOATING_PNL_LABEL} {floating}"]
    for p in report.positions[:MAX_POSITION_LINES]:
        lines.append(f"  {p.symbol} {p.type.value} {format_volume(p.volume)} @ {format_price(p.symbol, p.open_price)}"
                     f" {format_signed_money(position_net(p), None)}")
    if len(report.positions) > MAX_POSITION_LINES:
        lines.append(f"  +{len(report.positions) - MAX_POSITION_LINES} more — /positions")
    return lines


def _member_lines(report: PnlReport) -> list[str]:
    if not report.members:
        return []
    lines = ["by member (orders placed through the bot):"]
    for m in report.members[:MAX_MEMBER_LINES]:
        lines.append(f"  {m.name}: {m.trades} trades, net {format_signed_money(m.net, None)}")
    return lines
