"""A fake of a MetaTrader-terminal broker behind the port: ticket ids, stop-limit orders and terminal status.

It stands in for the terminal-API backend (fxs_live_/fxs_ro_ keys) where a test needs one without the
simulator: positions and orders are named by their tickets (`"50123456"`), stop-limit orders are accepted,
and `TerminalBroker` adds `terminal_status` (the `SupportsTerminalStatus` capability), answering from
`terminal`. `TerminalBackend`
registers it in a `BrokerBackends` registry for the SDK kind of key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fxbot.domain.broker import (
    Account,
    AccountSummary,
    BrokerStream,
    CandleSeries,
    CloseResult,
    HistoryPage,
    KeyKind,
    ModifyResult,
    NotFoundError,
    OrderChanges,
    OrderRequest,
    OrderResult,
    PendingOrder,
    Position,
    Quote,
    Side,
    StreamSettings,
    Timeframe,
    ticket_id,
)
from fxbot.domain.broker.capabilities import TerminalStatus

NOW = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
ACCOUNT_ID = "0f3c2a9e-mt5"
FIRST_TICKET = 50123456


def ready_terminal(account_id: str = ACCOUNT_ID) -> TerminalStatus:
    """A healthy terminal: connected, logged in, trading allowed, the EA beating."""
    return TerminalStatus(account_id=account_id, status="ready", terminal_alive=True, broker_connected=True,
                          logged_in=True, trade_allowed=True, trade_ea_ready=True, broker_server="Demo-Server",
                          ea_heartbeat_age_s=0.4, ping_ms=42)


@dataclass
class TicketBroker:
    """Answers like a MetaTrader terminal would, from memory (no terminal status); `calls` records every call."""

    quotes: dict[str, tuple[float, float]] = field(default_factory=lambda: {"EURUSD": (1.08340, 1.08342)})
    positions: dict[str, Position] = field(default_factory=dict)
    orders: dict[str, PendingOrder] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    next_ticket: int = FIRST_TICKET

    def _record(self, name: str, **kwargs: Any) -> None:
        self.calls.append((name, kwargs))

    def _ticket(self) -> str:
        ticket = ticket_id(self.next_ticket)
        self.next_ticket += 1
        return ticket

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def add_position(self, *, side: Side = Side.BUY, volume: float = 0.1, open_price: float = 1.08000,
                     symbol: str = "EURUSD") -> Position:
        ticket = self._ticket()
        position = Position(id=ticket, order_id=ticket, symbol=symbol, type=side, volume=volume,
                            open_price=open_price, current_price=self.quotes[symbol][0], profit=3.4,
                            commission=-0.7, swap=0.0, opened_at=NOW)
        self.positions[ticket] = position
        return position

    async def get_account(self, *, account_id: str | None = None) -> Account:
        self._record("get_account", account_id=account_id)
        return Account(id=account_id or ACCOUNT_ID, balance=10_000.0, equity=10_000.0, margin=0.0,
                       free_margin=10_000.0, currency="USD", leverage=100, profit=0.0)

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]:
        self._record("list_accounts")
        return [AccountSummary(id=ACCOUNT_ID, broker="Demo-Server", platform="MT5", status="connected",
                               login=5001234, currency="USD")]

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]:
        self._record("get_positions")
        return list(self.positions.values())

    async def get_orders(self, *, account_id: str | None = None) -> list[PendingOrder]:
        self._record("get_orders")
        return list(self.orders.values())

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        self._record("get_quote", symbol=symbol)
        bid, ask = self.quotes[symbol]
        return Quote(symbol=symbol, bid=bid, ask=ask, spread=round((ask - bid) * 10_000, 1), time=NOW)

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        self._record("place_order", request=request)
        ticket = self._ticket()
        if request.type.is_pending:
            assert request.price is not None
            self.orders[ticket] = PendingOrder(id=ticket, symbol=request.symbol, type=request.type,
                                               volume=request.volume, price=request.price, sl=request.sl,
                                               tp=request.tp, created_at=NOW,
                                               stop_limit_price=request.stop_limit_price)
            return OrderResult(id=ticket, symbol=request.symbol, type=request.type, volume=request.volume,
                               price=request.price, status="pending", sl=request.sl, tp=request.tp)
        bid, ask = self.quotes[request.symbol]
        price = ask if request.type.side is Side.BUY else bid
        self.positions[ticket] = Position(id=ticket, order_id=ticket, symbol=request.symbol,
                                          type=request.type.side, volume=request.volume, open_price=price,
                                          sl=request.sl, tp=request.tp, profit=0.0, opened_at=NOW)
        return OrderResult(id=ticket, symbol=request.symbol, type=request.type, volume=request.volume, price=price,
                           status="filled", position_id=ticket, sl=request.sl, tp=request.tp)

    async def modify_order(self, order_id: str, changes: OrderChanges, *,
                           account_id: str | None = None) -> ModifyResult:
        self._record("modify_order", order_id=order_id, changes=changes.requested())
        wanted = changes.requested()
        if order_id in self.positions:
            position = self.positions[order_id].model_copy(update={k: v for k, v in wanted.items() if k != "price"})
            self.positions[order_id] = position
            return ModifyResult(id=order_id, sl=position.sl, tp=position.tp, updated=bool(wanted))
        if order_id in self.orders:
            order = self.orders[order_id].model_copy(update=wanted)
            self.orders[order_id] = order
            return ModifyResult(id=order_id, sl=order.sl, tp=order.tp, price=order.price, updated=bool(wanted))
        raise NotFoundError(f"no open position or pending order #{order_id}")

    async def close_order(self, order_id: str, *, volume: float | None = None,
                          account_id: str | None = None) -> CloseResult:
        self._record("close_order", order_id=order_id, volume=volume)
        if order_id in self.orders:
            del self.orders[order_id]
            return CloseResult(id=order_id, status="cancelled")
        position = self.positions.get(order_id)
        if position is None:
            raise NotFoundError(f"no open position or pending order #{order_id}")
        close_price = self.quotes[position.symbol][0 if position.type is Side.BUY else 1]
        if volume is not None and volume < position.volume:
            remaining = round(position.volume - volume, 2)
            self.positions[order_id] = position.model_copy(update={"volume": remaining})
            return CloseResult(id=order_id, status="partially_closed", close_price=close_price, profit=1.2,
                               remaining=remaining)
        del self.positions[order_id]
        return CloseResult(id=order_id, status="closed", close_price=close_price, profit=3.4)

    async def get_candles(self, symbol: str, *, timeframe: Timeframe = Timeframe.H1, start: datetime | None = None,
                          end: datetime | None = None, limit: int | None = None,
                          account_id: str | None = None) -> CandleSeries:
        self._record("get_candles", symbol=symbol)
        return CandleSeries(symbol=symbol, timeframe=timeframe, candles=[])

    async def get_history(self, *, start: datetime | None = None, end: datetime | None = None,
                          symbol: str | None = None, side: Side | None = None, limit: int | None = None,
                          offset: int | None = None, account_id: str | None = None) -> HistoryPage:
        self._record("get_history")
        return HistoryPage(trades=[], total=0)



@dataclass
class TerminalBroker(TicketBroker):
    """The same, with the terminal-status capability: `terminal` is what it reports (or raises); None: ready."""

    terminal: TerminalStatus | Exception | None = None

    async def terminal_status(self, *, account_id: str | None = None) -> TerminalStatus:
        self._record("terminal_status", account_id=account_id)
        if isinstance(self.terminal, Exception):
            raise self.terminal
        return self.terminal or ready_terminal(account_id or ACCOUNT_ID)


class TerminalBackend:
    """A BrokerBackend for terminal-API keys (fxs_live_/fxs_ro_) that hands out one broker."""

    kind = KeyKind.SDK

    def __init__(self, broker: TicketBroker) -> None:
        self.broker = broker
        self.secrets: list[str] = []

    def client(self, secret: str) -> TicketBroker:
        self.secrets.append(secret)
        return self.broker

    def stream(self, secret: str, settings: StreamSettings | None = None) -> BrokerStream:
        raise NotImplementedError("the fake terminal backend has no stream")

    async def aclose(self) -> None:
        return None
