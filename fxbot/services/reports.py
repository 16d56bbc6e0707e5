"""P&L reports for a chat's account over a period: realized figures, balance/equity, positions, members.

Constructor: `ReportService(*, storage: Storage, brokers: BrokerProvider, clock: Callable[[], datetime])`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fxbot.domain.broker import Broker, Position, Trade
from fxbot.services.brokers import BrokerProvider
from fxbot.services.periods import Period
from fxbot.services.pnl_figures import (
    CurvePoint,
    FloatingPnl,
    TradeFigures,
    balance_curve,
    exact_trade_net,
    floating_pnl,
    money_sum,
    position_net,
    trade_figures,
    trade_net,
)
from fxbot.services.upstream import upstream_call
from fxbot.storage import Storage
from fxbot.storage.order_attribution import order_authors

HISTORY_PAGE = 1000  # the API's largest page
MAX_REPORT_TRADES = 50_000  # more closed trades than this since the period start are cut (and said so)
OUTSIDE_THE_BOT = "outside the bot"


@dataclass(frozen=True, slots=True)
class MemberPnl:
    """Closed trades of the period attributed to one chat member (or to nobody: OUTSIDE_THE_BOT)."""

    name: str
    user_id: str | None
    trades: int
    net: float


@dataclass(frozen=True, slots=True)
class PnlReport:
    """Everything /pnl and the digest show for one period. Money is in the account currency.

    Balances are reconstructed from the current balance minus the net of trades closed later
    (deposits and withdrawals are not in the history, so a period with one is off by that amount);
    `balance_start`/`balance_end` are None when the history was too long to read entirely.
    Equity is only known now: `equity_end` is the current equity when the period includes now,
    `equity_start` only when the caller knew it (the digest remembers the equity of its last run).
    """

    period: Period
    symbol: str | None
    account_id: str
    currency: str
    generated_at: datetime
    figures: TradeFigures
    trades: tuple[Trade, ...]  # closed in the period (symbol-filtered), newest first
    balance_start: float | None
    balance_end: float | None
    equity_start: float | None
    equity_end: float | None
    balance_now: float
    equity_now: float
    margin_level: float | None
    positions: tuple[Position, ...]
    curve: tuple[CurvePoint, ...]
    members: tuple[MemberPnl, ...]
    truncated: bool

    @property
    def floating(self) -> FloatingPnl:
        """The open positions' floating P&L (net: profit + commission + swap, as everywhere)."""
        return floating_pnl(self.positions)


__all__ = ["MemberPnl", "PnlReport", "ReportService", "position_net"]


class ReportService:
    """Builds PnlReports through the chat's key: one account read, positions, and the history since start."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, clock: Callable[[], datetime]) -> None:
        self._storage = storage
        self._brokers = brokers
        self._clock = clock

    def __repr__(self) -> str:
        return "ReportService()"

    async def build(
        self,
        chat_id: str,
        period: Period,
        *,
        symbol: str | None = None,
        by_member: bool = False,
        equity_at_start: float | None = None,
        ends_now: bool = False,
    ) -> PnlReport:
        """The report of `period` for the chat's account; `by_member` adds P&L per member (shared chats).

        `ends_now`: the period has just ended (a digest built at its slot), so the current equity is
        taken as the equity at its end."""
        bound = await self._brokers.for_chat(chat_id)
        now = self._clock()
        async with upstream_call(self._storage, bound.key_id, what="read the account for the report"):
            account = await bound.broker.get_account(account_id=bound.account_id)
            positions = await bound.broker.get_positions(account_id=bound.account_id)
            since_start, truncated = await self._trades_since(bound.broker, bound.account_id, period.start)
        in_period = [t for t in since_start if t.closed_at < period.end]
        later_net = money_sum(trade_net(t) for t in since_start if t.closed_at >= period.end)
        period_net = money_sum(trade_net(t) for t in in_period)
        balance_end = None if truncated else account.balance - later_net
        balance_start = None if balance_end is None else balance_end - period_net
        includes_now = period.start <= now < period.end or (ends_now and now >= period.end)
        shown = [t for t in in_period if symbol is None or t.symbol == symbol]
        curve: list[CurvePoint] = []
        if balance_start is not None:
            curve = balance_curve(in_period, start=period.start, start_balance=balance_start)
            if includes_now:
                curve.append(CurvePoint(max(now, curve[-1].at), account.equity, kind="equity"))
        members = await self._members(chat_id, shown) if by_member else ()
        return PnlReport(
            period=period,
            symbol=symbol,
            account_id=account.id,
            currency=account.currency,
            generated_at=now,
            figures=trade_figures(shown),
            trades=tuple(shown),
            balance_start=balance_start,
            balance_end=balance_end,
            equity_start=equity_at_start,
            equity_end=account.equity if includes_now else None,
            balance_now=account.balance,
            equity_now=account.equity,
            margin_level=account.margin_level,
            positions=tuple(p for p in positions if symbol is None or p.symbol == symbol),
            curve=tuple(curve),
            members=members,
            truncated=truncated,
        )

    @staticmethod
    async def _trades_since(broker: Broker, account_id: str | None, start: datetime) -> tuple[list[Trade], bool]:
        """Every trade closed at or after `start` (newest first, each once) and whether the list was cut."""
        trades: list[Trade] = []
        seen: set[str] = set()
        total = 0
        while len(trades) < MAX_REPORT_TRADES:
            page = await broker.get_history(start=start, limit=HISTORY_PAGE, offset=len(trades),
                                            account_id=account_id)
            total = page.total
            fresh = [t for t in page.trades if t.id not in seen]
            seen.update(t.id for t in fresh)
            trades.extend(fresh)
            if not page.trades or len(trades) >= total:
                break
        return trades[:MAX_REPORT_TRADES], max(total, len(trades)) > MAX_REPORT_TRADES

    async def _members(self, chat_id: str, trades: Sequence[Trade]) -> tuple[MemberPnl, ...]:
        refs = [ref for t in trades for ref in (t.order_id, t.position_id) if ref]
        authors = await order_authors(self._storage.db, chat_id, refs)
        totals: dict[str | None, tuple[int, Decimal]] = {}
        for trade in trades:
            author = next((authors[r] for r in (trade.order_id, trade.position_id) if r and r in authors), None)
            count, net = totals.get(author, (0, Decimal(0)))
            totals[author] = (count + 1, net + exact_trade_net(trade))
        result: list[MemberPnl] = []
        for user_id, (count, exact) in totals.items():
            name = OUTSIDE_THE_BOT
            if user_id is not None:
                member = await self._storage.members.get(chat_id, user_id)
                name = member.display_name if member is not None else user_id
            result.append(MemberPnl(name=name, user_id=user_id, trades=count, net=float(exact)))
        result.sort(key=lambda m: (m.user_id is None, -m.net, m.name))
        return tuple(result)
