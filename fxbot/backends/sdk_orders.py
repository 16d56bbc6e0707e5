"""The SDK backend's writes: send, modify and close (or delete) one ticket, and close-all — each sent once.

They use the terminal's own calls and are never resent: a 504, a timeout or an unreadable answer after sending is
`OutcomeUnknownError`; a broker refusal (HTTP 200, `success: false`) is `RejectedError` with the retcode's code.
Pending orders are deleted with `/OrderClose` like positions are closed (one path and one error model for every
single-ticket write). `SdkBroker` (sdk_broker.py) exposes them as the `Broker` port's methods.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from fxsocket.models import OpenedOrder
from fxsocket.models import OrderResult as WireOrderResult

from fxbot.backends import sdk_history as history
from fxbot.backends import sdk_mapping as mapping
from fxbot.backends.sdk_context import AccountContext, KeyContext
from fxbot.backends.sdk_errors import DONE_PARTIAL, rejection
from fxbot.domain.broker.capabilities import CloseAllResult
from fxbot.domain.broker.enums import OrderType
from fxbot.domain.broker.errors import BrokerError, InvalidArgumentError, NotFoundError, OutcomeUnknownError
from fxbot.domain.broker.orders import CloseResult, ModifyResult, OrderChanges, OrderRequest, OrderResult
from fxbot.domain.broker.tickets import ticket_id

log = logging.getLogger("fxbot.backends.sdk_broker")  # the broker's logger, as before the split

CLOSE_PROFIT_LOOKBACK = timedelta(hours=1)  # the window searched for a close's deal (its profit)
_LOTS_EPSILON = 1e-9


async def opened_row(ctx: AccountContext, ticket: int) -> OpenedOrder:
    """The open position or pending order `ticket` of the account; NotFoundError when there is none."""
    row = next((r for r in await ctx.opened_orders() if r.ticket == ticket), None)
    if row is None:
        raise NotFoundError(f"no open position or pending order #{ticket} on account {ctx.id}")
    return row


async def place_order(key: KeyContext, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
    """Send an order once (`OrderSend`); see the module doc for what an unknown outcome or a refusal raises."""
    ctx = await key.account(account_id)
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

async def modify_order(key: KeyContext, order_id: str, changes: OrderChanges, *,
                       account_id: str | None = None) -> ModifyResult:
    """Change a position's stops or a pending order's stops and price once (`OrderModify`)."""
    ticket = mapping.ticket(order_id)
    wanted = changes.requested()
    if not wanted:
        raise InvalidArgumentError("nothing to change: give a stop loss, a take profit or a price")
    if "price" in wanted and wanted["price"] is None:
        raise InvalidArgumentError("a pending order's price can be moved, not removed")
    ctx = await key.account(account_id)
    row = await opened_row(ctx, ticket)
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

async def close_order(key: KeyContext, order_id: str, *, volume: float | None = None,
                      account_id: str | None = None) -> CloseResult:
    """Close a position (all of it, or `volume` lots) or delete a pending order once (`OrderClose`)."""
    ticket = mapping.ticket(order_id)
    if volume is not None and volume <= 0:
        raise InvalidArgumentError("the volume to close must be positive")
    ctx = await key.account(account_id)
    row = await opened_row(ctx, ticket)
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
    profit = await close_profit(key, ctx, ticket, result)
    return CloseResult(
        id=ticket_id(ticket), status="partially_closed" if remaining > _LOTS_EPSILON else "closed",
        close_price=result.price if result.price > 0 else None, profit=profit,
        remaining=remaining if remaining > _LOTS_EPSILON else None,
    )

async def close_profit(key: KeyContext, ctx: AccountContext, ticket: int, result: WireOrderResult) -> float | None:
    """The profit of the deal a close just made (None when it cannot be read: the close itself stands)."""
    try:
        clock = await ctx.clock()
        since = clock.query(key.utc_now() - CLOSE_PROFIT_LOOKBACK)
        rows = await ctx.call(lambda t: t.order_history(since, None), write=False, what="GET /OrderHistory")
    except BrokerError as exc:
        log.info("account %s: the profit of closing #%s could not be read (%s)", ctx.id, ticket, exc.code)
        return None
    if result.deal:
        deal = next((r for r in rows if r.ticket == result.deal), None)
    else:  # MT4 reports no deal ticket: the newest closing row of the position
        deal = next((r for r in reversed(rows) if history.is_closing(r) and r.position == ticket), None)
    return None if deal is None else deal.profit


async def close_all(key: KeyContext, *, symbol: str | None = None, include_pending: bool = False,
                    account_id: str | None = None) -> CloseAllResult:
    """Close every position (of `symbol`; pending orders too with `include_pending`) in one `CloseAll`."""
    ctx = await key.account(account_id)
    name = None if symbol is None else (await ctx.symbols()).resolve(symbol, account_id=ctx.id)
    summary = await ctx.call(lambda t: t.close_all(symbol=name, delete_pending=include_pending), write=True,
                             what="CloseAll")
    return mapping.close_all_result(summary)
