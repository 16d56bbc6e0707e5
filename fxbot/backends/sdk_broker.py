"""SdkBroker: the `Broker` port (and the optional capabilities) over the official SDK's terminal REST API.

Every call resolves the account (management list; None is the key's oldest account), maps symbols to
the broker's names and back, converts broker server time, and goes through the context's pacer and
retry policy (`sdk_calls`). Writes (`place_order`, `modify_order`, `close_order`, `close_all`) are
done by `sdk_orders` with the terminal's own calls and are never resent (see that module).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fxbot.backends import sdk_history as history
from fxbot.backends import sdk_mapping as mapping
from fxbot.backends import sdk_orders as orders
from fxbot.backends.sdk_context import AccountContext, KeyContext
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker.capabilities import CloseAllResult, MarginEstimate, TerminalStatus
from fxbot.domain.broker.enums import OrderType, Side, Timeframe
from fxbot.domain.broker.errors import BrokerError, InvalidArgumentError
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
from fxbot.domain.instruments import INSTRUMENTS

log = logging.getLogger(__name__)

OPENING_LOOKBACK = timedelta(days=90)  # how far before a history window an opening deal is looked for


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

    # --- trading (sdk_orders: each write sent once, never resent)

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        return await orders.place_order(self._key, request, account_id=account_id)

    async def modify_order(self, order_id: str, changes: OrderChanges, *,
                           account_id: str | None = None) -> ModifyResult:
        return await orders.modify_order(self._key, order_id, changes, account_id=account_id)

    async def close_order(self, order_id: str, *, volume: float | None = None,
                          account_id: str | None = None) -> CloseResult:
        return await orders.close_order(self._key, order_id, volume=volume, account_id=account_id)

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
        return await orders.close_all(self._key, symbol=symbol, include_pending=include_pending,
                                      account_id=account_id)
