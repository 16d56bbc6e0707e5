"""SimEngine: the simulator's pure, deterministic engine behind the FxSocket HTTP/WS server (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fxbot.domain.currency import rate
from fxbot.simulator.accounts_config import DEFAULT_ACCOUNTS, AccountSpec
from fxbot.simulator.candles import CandleBook, canonical_timeframe
from fxbot.simulator.errors import SimError
from fxbot.simulator.events import SimEvent
from fxbot.simulator.execution import Execution
from fxbot.simulator.ids import IdMaker
from fxbot.simulator.ledger import AccountBook
from fxbot.simulator.market import Market, canonical_symbol
from fxbot.simulator.swap import next_rollover
from fxbot.simulator.trading import TradingDesk
from fxbot.simulator.wire_time import as_utc, epoch_minute

ACCOUNT_STATUSES = ("connected", "connecting", "disconnected")
HISTORY_TYPES = ("BUY", "SELL")


class SimEngine:
    """Market, accounts and trading of the FxSocket simulator; every call is synchronous and seeded."""

    def __init__(self, *, seed: int = 0, accounts: Sequence[AccountSpec] = DEFAULT_ACCOUNTS,
                 start_time: datetime, ids: IdMaker | None = None) -> None:
        """`ids`: the simulator's id source, kept across resets so no order id is ever reused."""
        start = as_utc(start_time)
        self._seed = seed
        self._market = Market(seed, start)
        for spec in accounts:
            if rate("USD", spec.currency, self._market.mid) is None:
                raise ValueError(f"account {spec.id}: currency {spec.currency!r} has no quoted rate")
        if len({spec.id for spec in accounts}) != len(accounts) or not accounts:
            raise ValueError("accounts must be a non-empty sequence with unique ids")
        self._books = {spec.id: AccountBook(spec=spec, balance=spec.balance) for spec in accounts}
        self._execution = Execution(self._market, self._books, ids if ids is not None else IdMaker(seed))
        self._desk = TradingDesk(self._execution)
        start_minute = epoch_minute(start)
        self._candles: dict[str, CandleBook] = {}
        for symbol in self._market.symbols():
            price = self._market.price(symbol)
            self._candles[symbol] = CandleBook(price.spec, seed, start_minute, price.bid)
        self._clock = start
        self._next_rollover = next_rollover(start)

    # --- market ----------------------------------------------------------------------------------
    def symbols(self) -> list[str]:
        return self._market.symbols()

    def quote(self, symbol: str) -> dict[str, Any]:
        return self._market.quote(self._symbol_or_404(symbol))

    def tick(self, now: datetime) -> list[SimEvent]:
        """One random-walk step for every symbol, then triggers, stop-out and account updates."""
        now = as_utc(now)
        events: list[SimEvent] = []
        touched: set[str] = set()
        self._advance_clock(now, touched)
        if self._desk.market_closed:
            self._settle(now, events, touched, prices_moved=False)
            return events
        minute = epoch_minute(now)
        for symbol in self._market.symbols():
            state = self._market.step(symbol, now)
            self._candles[symbol].on_price(state.bid, minute)
            events.append(self._quote_event(symbol))
        for symbol in self._market.symbols():
            self._execution.run_triggers(symbol, now, events, touched)
        self._settle(now, events, touched, prices_moved=True)
        return events

    def set_quote(self, symbol: str, bid: float, ask: float | None, now: datetime
                  ) -> tuple[dict[str, Any], list[SimEvent]]:
        """Set a symbol's price now, exactly as a tick would (triggers run); bad values change nothing."""
        name = self._symbol_or_404(symbol)
        now = as_utc(now)
        state = self._market.set(name, bid, ask, now)
        events: list[SimEvent] = []
        touched: set[str] = set()
        self._advance_clock(now, touched)
        self._candles[name].on_price(state.bid, epoch_minute(now))
        events.append(self._quote_event(name))
        self._execution.run_triggers(name, now, events, touched)
        self._settle(now, events, touched, prices_moved=True)
        return self._market.quote(name), events

    def candles(self, symbol: str, timeframe: str, start: datetime | None, end: datetime | None,
                limit: int, now: datetime) -> dict[str, Any]:
        """Bars with open time in [start, end], the most recent `limit` of them, oldest first."""
        del now  # bars only exist up to the last quote; the current bar is the live one
        name = self._symbol_or_404(symbol)
        frame = canonical_timeframe(timeframe)
        if frame is None:
            raise SimError(400, "invalid_timeframe",
                           f"timeframe must be one of M1 M5 M15 M30 H1 H4 D1 W1 MN, got {timeframe!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise SimError(400, "bad_request", f"limit must be a positive integer, got {limit!r}")
        first = None if start is None else as_utc(start)
        last = None if end is None else as_utc(end)
        bars = self._candles[name].candles(frame, first, last, limit)
        return {"symbol": name, "timeframe": frame, "candles": bars}

    def set_market_closed(self, closed: bool) -> None:
        self._desk.market_closed = bool(closed)

    @property
    def market_closed(self) -> bool:
        return self._desk.market_closed

    # --- accounts --------------------------------------------------------------------------------
    def account_ids(self) -> list[str]:
        return list(self._books)

    def accounts_list(self) -> list[dict[str, Any]]:
        return [
            {"id": b.id, "broker": b.spec.broker, "platform": b.spec.platform, "status": b.status,
             "login": b.spec.login, "name": b.spec.name, "currency": b.currency}
            for b in self._books.values()
        ]

    def account(self, account_id: str) -> dict[str, Any]:
        return self._book(account_id).snapshot(self._market)

    def account_status(self, account_id: str) -> str:
        return self._book(account_id).status

    def set_account_status(self, account_id: str, status: str) -> None:
        book = self._book(account_id)
        if status not in ACCOUNT_STATUSES:
            raise SimError(400, "bad_request", f"status must be one of {', '.join(ACCOUNT_STATUSES)}")
        book.status = status

    def positions(self, account_id: str) -> list[dict[str, Any]]:
        book = self._book(account_id)
        out = []
        for position in book.positions.values():
            price = self._market.price(position.symbol)
            current = price.bid if position.side == "BUY" else price.ask
            out.append(position.wire(book.position_profit(position, self._market), current))
        return out

    def pending_orders(self, account_id: str) -> list[dict[str, Any]]:
        return [order.wire() for order in self._book(account_id).pending.values()]

    def place_order(self, account_id: str, *, symbol: str, type: str, volume: float,
                    price: float | None, sl: float | None, tp: float | None, comment: str | None,
                    now: datetime) -> tuple[dict[str, Any], list[SimEvent]]:
        book = self._book(account_id)
        now = as_utc(now)
        events: list[SimEvent] = []
        touched = self._clock_before_request(now)
        answer = self._desk.place(book, symbol=symbol, type=type, volume=volume, price=price, sl=sl, tp=tp,
                                  comment=comment, now=now, events=events)
        self._after_request(book, now, events, touched)
        return answer, events

    def modify_order(self, account_id: str, order_id: str, changes: Mapping[str, float | None],
                     now: datetime) -> tuple[dict[str, Any], list[SimEvent]]:
        book = self._book(account_id)
        now = as_utc(now)
        events: list[SimEvent] = []
        touched = self._clock_before_request(now)
        answer = self._desk.modify(book, order_id, changes, events)
        self._after_request(book, now, events, touched)
        return answer, events

    def close_order(self, account_id: str, order_id: str, volume: float | None, now: datetime
                    ) -> tuple[dict[str, Any], list[SimEvent]]:
        book = self._book(account_id)
        now = as_utc(now)
        events: list[SimEvent] = []
        touched = self._clock_before_request(now)
        answer = self._desk.close(book, order_id, volume, now, events)
        self._after_request(book, now, events, touched)
        return answer, events

    def history(self, account_id: str, *, start: datetime | None, end: datetime | None,
                symbol: str | None, type: str | None, limit: int, offset: int) -> dict[str, Any]:
        """Closed trades matching every filter, newest first; `total` counts all matches."""
        book = self._book(account_id)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise SimError(400, "bad_request", f"limit must be a non-negative integer, got {limit!r}")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise SimError(400, "bad_request", f"offset must be a non-negative integer, got {offset!r}")
        side = None if type is None else type.strip().upper()
        if side is not None and side not in HISTORY_TYPES:
            raise SimError(400, "bad_request", f"type must be BUY or SELL, got {type!r}")
        name = None if symbol is None else symbol.strip().upper()
        first = None if start is None else as_utc(start)
        last = None if end is None else as_utc(end)
        matches = [
            trade for trade in book.history
            if (first is None or trade.closed_at >= first) and (last is None or trade.closed_at <= last)
            and (name is None or trade.symbol == name) and (side is None or trade.side == side)
        ]
        matches.sort(key=lambda trade: (trade.closed_at, trade.seq), reverse=True)
        return {"trades": [trade.wire() for trade in matches[offset:offset + limit]], "total": len(matches)}

    # --- internals -------------------------------------------------------------------------------
    def _book(self, account_id: str) -> AccountBook:
        book = self._books.get(account_id)
        if book is None:
            raise SimError(404, "not_found", f"unknown account {account_id!r}")
        return book

    def _symbol_or_404(self, symbol: str) -> str:
        name = canonical_symbol(symbol)
        if name is None:
            raise SimError(404, "not_found", f"unknown symbol {symbol!r}")
        return name

    def _quote_event(self, symbol: str) -> SimEvent:
        data = self._market.quote(symbol)
        return SimEvent("quote", data, None, symbol)

    def _advance_clock(self, now: datetime, touched: set[str]) -> None:
        """Apply swap for every rollover passed since the last call."""
        while now >= self._next_rollover:
            self._execution.apply_swap(self._next_rollover, touched)
            self._next_rollover = next_rollover(self._next_rollover)
        self._clock = max(self._clock, now)

    def _clock_before_request(self, now: datetime) -> set[str]:
        """Swap due by `now` is booked before a request acts (even if the request is then refused)."""
        touched: set[str] = set()
        self._advance_clock(now, touched)
        return touched

    def _after_request(
        self, book: AccountBook, now: datetime, events: list[SimEvent], touched: set[str]
    ) -> None:
        money_moved = any(
            event.type in ("order_closed", "order_filled")
            or (event.type == "order_opened" and event.data.get("status") == "filled")
            for event in events
        )
        if money_moved:
            touched.add(book.id)
        self._settle(now, events, touched, prices_moved=False)

    def _settle(
        self, now: datetime, events: list[SimEvent], touched: set[str], *, prices_moved: bool
    ) -> None:
        """Stop-out, then an account_update for every account that changed (all with positions on a move)."""
        self._execution.stop_out(now, events, touched)
        for account_id, book in self._books.items():
            if account_id in touched or (prices_moved and book.positions):
                data = {**book.snapshot(self._market), "account_id": account_id}
                events.append(SimEvent("account_update", data, account_id))
