"""SdkBroker: the `Broker` port (and the optional capabilities) over the official SDK's terminal REST API.

Every call resolves the account (management list; None is the key's oldest account), maps symbols to
the broker's names and back, converts broker server time, and goes through the context's pacer and
retry policy (`sdk_calls`). Writes (`place_order`, `modify_order`, `close_order`, `close_all`) use the
terminal's own calls and are never resent: a 504, a timeout or an unreadable answer after sending is
`OutcomeUnknownError`; a broker refusal (HTTP 200, `success: false`) is `RejectedError` with the
retcode's code. Pending orders are deleted with `/OrderClose` like positions are closed (one path and
one error model for every single-ticket write).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fxsocket.models import OpenedOrder
from fxsocket.models import OrderResult as WireOrderResult

from fxbot.backends import sdk_history as history
from fxbot.backends import sdk_mapping as mapping
from fxbot.backends.sdk_context import AccountContext, KeyContext
from fxbot.backends.sdk_errors import DONE_PARTIAL, rejection
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker.capabilities import CloseAllResult, MarginEstimate, TerminalStatus
from fxbot.domain.broker.enums import OrderType, Side, Timeframe
from fxbot.domain.broker.errors import BrokerError, InvalidArgumentError, NotFoundError, OutcomeUnknownError
from fxbot.domain.broker.models import (
    Account,
    AccountSummary,
    CandleSeries,
    HistoryPage,
    PendingOrder,
    Position,
    Quote,
)
from fxbot.domain.broker.orders import CloseResult, ModifyResult, OrderChanges, OrderRequest, OrderResult
from fxbot.domain.broker.symbols import SymbolSpec
from fxbot.domain.broker.tickets import ticket_id
from fxbot.domain.instruments import INSTRUMENTS

log = logging.getLogger(__name__)

OPENING_LOOKBACK = timedelta(days=90)  # how far before a history window an opening deal is looked for
CLOSE_PROFIT_LOOKBACK = timedelta(hours=1)  # the window searched for a close's deal (its profit)
_LOTS_EPSILON = 1e-9


class SdkBroker:
    """A Broker over one SDK key (plus symbol specs, margin, terminal status and close-all)."""

    def __init__(self, key: KeyContext, *, release: Callable[[KeyContext], Awaitable[None]] | None = None) -> None:
        self._key = key
        self._release = release
        self._released = False

    def __repr__(self) -> str:
        return f"SdkBroker({self._key!r})"

    async def aclose(self) -> None:
        """Let go of the key's shared SDK client (closed when nothing else uses it)."""
        if not self._released:
            self._released = True
            if self._release is not None:
                await self._release(self._key)

    async def _account(self, account_id: str | None) -> AccountContext:
        return await self._key.account(account_id)

    # --- accounts

    async def get_account(self, *, account_id: str | None = None) -> Account:
        ctx = await self._account(account_id)
        summary = await ctx.call(lambda t: t.account_summary(), write=False, what="GET /AccountSummary")
        return mapping.account(summary, ctx.id)

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]:
        return [mapping.account_summary(a) for a in await self._key.directory.accounts(fresh=True)]

    # --- positions and orders

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]:
        ctx = await self._account(account_id)
        rows = await ctx.opened_orders()
        symbols, clock = await ctx.symbols(), await ctx.clock()
        positions = [mapping.position(r, symbols, clock) for r in rows if mapping.is_position(r)]
        return await self._with_entry_commission(ctx, positions, clock)

    async def _with_entry_commission(self, ctx: AccountContext, positions: list[Position],
                                     clock: BrokerClock) -> list[Position]:
        """Positions with their share of the opening deal's commission (MT5 charges it on the `In` deal, which a
        position row does not carry), so a position's net P&L is profit + commission + swap as on `/v1`.

        Known commissions are cached per ticket (an opening deal never changes); unknown ones are read from
        `/OrderHistory` once. If that read fails the commission stays unknown (None), never guessed."""
        missing = [p for p in positions if p.ticket is not None and p.ticket not in ctx.entry_commissions]
        if missing and not ctx.mt4:
            opened = [p.opened_at for p in missing if p.opened_at is not None]
            start = (min(opened) if opened else datetime.now(UTC) - OPENING_LOOKBACK) - timedelta(minutes=1)
            try:
                deals = await ctx.call(lambda t: t.order_history(clock.query(start), clock.query(None)), write=False,
                                       what="GET /OrderHistory")
            except BrokerError as exc:
                log.info("account %s: opening commissions could not be read (%s)", ctx.id, exc.code)
                deals = []
            for ticket, deal in history.openings_by_position(deals).items():
                ctx.entry_commissions[ticket] = (deal.commission, deal.volume)
        enriched: list[Position] = []
        for p in positions:
            known = ctx.entry_commissions.get(p.ticket) if p.ticket is not None else None
            if known is None or p.commission is not None:
                enriched.append(p)
                continue
            commission, volume = known
            share = commission * p.volume / volume if volume > 0 else commission
            enriched.append(p.model_copy(update={"commission": round(share, 2)}))
        return enriched

    async def get_orders(self, *, account_id: str | None = None) -> list[PendingOrder]:
        ctx = await self._account(account_id)
        rows = await ctx.opened_orders()
        symbols, clock = await ctx.symbols(), await ctx.clock()
        return [mapping.pending_order(r, symbols, clock) for r in rows if not mapping.is_position(r)]

    async def _row(self, ctx: AccountContext, ticket: int) -> OpenedOrder:
        row = next((r for r in await ctx.opened_orders() if r.ticket == ticket), None)
        if row is None:
            raise NotFoundError(f"no open position or pending order #{ticket} on account {ctx.id}")
        return row

    # --- trading

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        ctx = await self._account(account_id)
        symbols = await ctx.symbols()
        name = symbols.resolve(request.symbol, account_id=ctx.id)
        type_ = OrderType(request.type)
        pending = type_.is_pending
        if pending and request.price is None:
            raise InvalidArgumentError(f"a {type_.value} order needs a price")
        if type_.is_stop_limit and request.stop_limit_price is None:
            raise InvalidArgumentError(f"a {type_.value} order needs a stop-limit price (the limit placed once "
                                       "the price trades)")
        result = await ctx.call(lambda t: t.order_send(
            symbol=name, operation=mapping.operation(type_), volume=request.volume,
            price=request.price if pending else None, stop_loss=request.sl, take_profit=request.tp,
            stop_limit_price=request.stop_limit_price if type_.is_stop_limit else None, comment=request.comment,
        ), write=True, what="OrderSend")
        if not result.success and result.retcode != DONE_PARTIAL:
            raise rejection(result.retcode, result.retcode_description, result.comment)
        if result.order <= 0:
            raise OutcomeUnknownError("OrderSend: the terminal accepted the order but named no ticket — check "
                                      "positions and orders, do not retry blindly")
        order = ticket_id(result.order)
        return OrderResult(
            id=order, symbol=symbols.canonical(name), type=type_,
            volume=result.volume if result.volume > 0 else request.volume,
            price=result.price if result.price > 0 else (request.price or 0.0),
            status="pending" if pending else "filled", position_id=None if pending else order,
            sl=request.sl, tp=request.tp,
        )

    async def modify_order(self, order_id: str, changes: OrderChanges, *,
                           account_id: str | None = None) -> ModifyResult:
        ticket = mapping.ticket(order_id)
        wanted = changes.requested()
        if not wanted:
            raise InvalidArgumentError("nothing to change: give a stop loss, a take profit or a price")
        if "price" in wanted and wanted["price"] is None:
            raise InvalidArgumentError("a pending order's price can be moved, not removed")
        ctx = await self._account(account_id)
        row = await self._row(ctx, ticket)
        sl, tp = wanted.get("sl", 0.0), wanted.get("tp", 0.0)
        result = await ctx.call(lambda t: t.order_modify(
            ticket, stop_loss=sl if "sl" in wanted and sl is not None else None,
            take_profit=tp if "tp" in wanted and tp is not None else None, price=wanted.get("price"),
            clear_stop_loss="sl" in wanted and sl is None, clear_take_profit="tp" in wanted and tp is None,
        ), write=True, what="OrderModify")
        if not result.success and not result.is_no_change:
            raise rejection(result.retcode, result.retcode_description, result.comment)
        position = mapping.is_position(row)
        return ModifyResult(
            id=ticket_id(ticket), sl=wanted["sl"] if "sl" in wanted else mapping.level(row.stop_loss),
            tp=wanted["tp"] if "tp" in wanted else mapping.level(row.take_profit), updated=result.success,
            price=None if position else (wanted.get("price") or row.open_price),
        )

    async def close_order(self, order_id: str, *, volume: float | None = None,
                          account_id: str | None = None) -> CloseResult:
        ticket = mapping.ticket(order_id)
        if volume is not None and volume <= 0:
            raise InvalidArgumentError("the volume to close must be positive")
        ctx = await self._account(account_id)
        row = await self._row(ctx, ticket)
        position = mapping.is_position(row)
        partial = position and volume is not None and volume < row.lots - _LOTS_EPSILON
        result = await ctx.call(lambda t: t.order_close(ticket, volume=volume if partial else None),
                                write=True, what="OrderClose")
        if not result.success and result.retcode != DONE_PARTIAL:
            raise rejection(result.retcode, result.retcode_description, result.comment)
        if not position:
            return CloseResult(id=ticket_id(ticket), status="cancelled")
        closed = result.volume if result.volume > 0 else (volume if partial and volume else row.lots)
        remaining = round(row.lots - closed, 8)
        profit = await self._close_profit(ctx, ticket, result)
        return CloseResult(
            id=ticket_id(ticket), status="partially_closed" if remaining > _LOTS_EPSILON else "closed",
            close_price=result.price if result.price > 0 else None, profit=profit,
            remaining=remaining if remaining > _LOTS_EPSILON else None,
        )

    async def _close_profit(self, ctx: AccountContext, ticket: int, result: WireOrderResult) -> float | None:
        """The profit of the deal a close just made (None when it cannot be read: the close itself stands)."""
        try:
            clock = await ctx.clock()
            since = clock.query(self._key.utc_now() - CLOSE_PROFIT_LOOKBACK)
            rows = await ctx.call(lambda t: t.order_history(since, None), write=False, what="GET /OrderHistory")
        except BrokerError as exc:
            log.info("account %s: the profit of closing #%s could not be read (%s)", ctx.id, ticket, exc.code)
            return None
        if result.deal:
            deal = next((r for r in rows if r.ticket == result.deal), None)
        else:  # MT4 reports no deal ticket: the newest closing row of the position
            deal = next((r for r in reversed(rows) if history.is_closing(r) and r.position == ticket), None)
        return None if deal is None else deal.profit

    # --- market data

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        ctx = await self._account(account_id)
        symbols = await ctx.symbols()
        name = symbols.resolve(symbol, account_id=ctx.id)
        tick = await ctx.call(lambda t: t.quote(name), write=False, what="GET /getQuote")
        spec = ctx.cached_spec(name)
        if spec is None and symbols.canonical(name) not in INSTRUMENTS:
            spec = await self._spec_or_none(ctx, name)
        return mapping.quote(tick, symbols, await ctx.clock(), ctx.id, spec)

    async def _spec_or_none(self, ctx: AccountContext, name: str) -> SymbolSpec | None:
        try:
            return await ctx.spec(name)
        except BrokerError:
            return None

    async def get_candles(self, symbol: str, *, timeframe: Timeframe = Timeframe.H1, start: datetime | None = None,
                          end: datetime | None = None, limit: int | None = None,
                          account_id: str | None = None) -> CandleSeries:
        if limit is not None and limit < 1:
            raise InvalidArgumentError("limit must be at least 1")
        ctx = await self._account(account_id)
        symbols = await ctx.symbols()
        name = symbols.resolve(symbol, account_id=ctx.id)
        clock = await ctx.clock()
        label = mapping.timeframe(timeframe)
        bars = await ctx.call(lambda t: t.price_history(name, label, clock.query(start), clock.query(end)),
                              write=False, what="GET /PriceHistory")
        candles = sorted((mapping.candle(b, clock) for b in bars), key=lambda c: c.time)
        if limit is not None:
            candles = candles[-limit:]
        return CandleSeries(symbol=symbols.canonical(name), timeframe=Timeframe(timeframe), candles=candles)

    async def get_history(self, *, start: datetime | None = None, end: datetime | None = None,
                          symbol: str | None = None, side: Side | None = None, limit: int | None = None,
                          offset: int | None = None, account_id: str | None = None) -> HistoryPage:
        ctx = await self._account(account_id)
        symbols, clock = await ctx.symbols(), await ctx.clock()
        rows = await ctx.call(lambda t: t.order_history(clock.query(start), clock.query(end)), write=False,
                              what="GET /OrderHistory")
        if ctx.mt4 and rows and not any(history.is_opening(r) for r in rows):
            trips = await ctx.call(lambda t: t.position_history(clock.query(start), clock.query(end)),
                                   write=False, what="GET /PositionHistory")
            trades = history.newest_first(history.trade_of_round_trip(r, symbols, clock) for r in trips)
        else:
            earlier = []
            if start is not None and history.unpaired_positions(rows):
                try:
                    earlier = await ctx.call(lambda t: t.order_history(clock.query(start - OPENING_LOOKBACK),
                                                                       clock.query(start)),
                                             write=False, what="GET /OrderHistory")
                except BrokerError as exc:  # only the open price and time of those trades stay unknown
                    log.info("account %s: opening deals before %s could not be read (%s)", ctx.id, start, exc.code)
            trades = history.trades_from_deals(rows, symbols, clock, earlier)
        trades = [t for t in trades if (start is None or t.closed_at >= start) and (end is None or t.closed_at <= end)]
        return history.page(trades, symbol=symbol, side_filter=side, limit=limit, offset=offset)

    # --- optional capabilities

    async def list_symbols(self, *, account_id: str | None = None) -> list[str]:
        """The account's symbols as the core types them (canonical where known), in the broker's order."""
        symbols = await (await self._account(account_id)).symbols()
        return list(dict.fromkeys(symbols.canonical(name) for name in symbols.names))

    async def symbol_spec(self, symbol: str, *, account_id: str | None = None) -> SymbolSpec:
        ctx = await self._account(account_id)
        name = (await ctx.symbols()).resolve(symbol, account_id=ctx.id)
        return await ctx.spec(name)

    async def calc_margin(self, request: OrderRequest, *, account_id: str | None = None) -> MarginEstimate:
        """The broker's margin for the order (at the current price for market orders)."""
        ctx = await self._account(account_id)
        symbols = await ctx.symbols()
        name = symbols.resolve(request.symbol, account_id=ctx.id)
        type_ = OrderType(request.type)
        price = request.price if type_.is_pending else None
        if price is None:
            tick = await ctx.call(lambda t: t.quote(name), write=False, what="GET /getQuote")
            price = tick.ask if type_.side is Side.BUY else tick.bid
        at = price
        calc = await ctx.call(lambda t: t.calc_margin(name, mapping.operation(type_), request.volume, at),
                              write=False, what="GET /OrderCalcMargin")
        return mapping.margin_estimate(calc, symbols.canonical(name), type_)

    async def terminal_status(self, *, account_id: str | None = None) -> TerminalStatus:
        ctx = await self._account(account_id)
        health = await ctx.call(lambda t: t.status(), write=False, what="GET /status")
        clock = ctx.cached_clock()
        if clock is None and health.server_time:
            try:
                clock = await ctx.clock()
            except BrokerError:  # a terminal that is down answers /status only: its time stays unconverted
                clock = None
        return mapping.terminal_status(health, ctx.id, clock)

    async def close_all(self, *, symbol: str | None = None, include_pending: bool = False,
                        account_id: str | None = None) -> CloseAllResult:
        ctx = await self._account(account_id)
        name = None if symbol is None else (await ctx.symbols()).resolve(symbol, account_id=ctx.id)
        summary = await ctx.call(lambda t: t.close_all(symbol=name, delete_pending=include_pending), write=True,
                                 what="CloseAll")
        return mapping.close_all_result(summary)
