"""TradingService: prepare and send orders, list positions and pending orders, modify, close and cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.domain.broker import (
    Broker,
    InvalidArgumentError,
    OrderRequest,
    OrderResult,
    OrderType,
    PendingOrder,
    Position,
    Quote,
    Side,
    SupportsSymbolSpecs,
    display_id,
)
from fxbot.domain.instruments import InstrumentSpec
from fxbot.errors import UpstreamRejected, UsageError, UserError
from fxbot.services.broker_checks import check_broker_volume, with_broker_margin
from fxbot.services.brokers import BoundBroker, BrokerProvider
from fxbot.services.connected_reads import read_when_connected
from fxbot.services.order_card import check_volume, order_card, sized_card, spec_of
from fxbot.services.order_legs import send_legs, tp_legs
from fxbot.services.pretrade import conversion_symbols
from fxbot.services.pretrade_margin import margin_verdict
from fxbot.services.risk_sizing import RISK_EXAMPLE, RISK_USAGE, broker_volume_limits
from fxbot.services.trading_close import CloseService
from fxbot.services.trading_models import (
    AccountOrders,
    AccountPositions,
    LegOutcome,
    ModifyOutcome,
    OrderTicket,
    PreparedOrder,
    StopEdit,
)
from fxbot.services.trading_modify import MODIFY_USAGE, modify_changes
from fxbot.services.upstream import ORDER_OUTCOME_UNKNOWN, upstream_call

if TYPE_CHECKING:
    from fxbot.guard.hook import OrderGuard
    from fxbot.storage import Storage

UNSUPPORTED_ORDER_TYPE = "unsupported_order_type"  # the code a backend refuses an order type it lacks with


def unsupported_order_message(order_type: OrderType) -> str:
    """The refusal of an order type the account's API does not have (stop-limit on the /v1 API)."""
    what = "stop-limit" if order_type.is_stop_limit else order_type.value.replace("_", " ")
    instead = ("/buystop or /buylimit" if order_type.side is Side.BUY else "/sellstop or /selllimit")
    return (f"this account's FxSocket API does not support {what} orders — nothing was sent; {instead} works "
            "here (stop-limit orders need a terminal-API key, fxs_live_…)")


class TradingService(CloseService):
    """Trading use cases for a chat: every FxSocket error leaves as an fxbot error with a plain message."""

    order_guard: OrderGuard | None = None  # the account guard, consulted before any order is sent

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, clock: Callable[[], datetime]) -> None:
        super().__init__(storage=storage, brokers=brokers, clock=clock)

    # --- placing orders -------------------------------------------------------------------------

    async def prepare_order(self, chat_id: str, ticket: OrderTicket) -> PreparedOrder:
        """Check an order against the current market and account, and work out its pre-trade card.

        Nothing is sent. Raises UsageError for wrong-side stops or pending price, AccountDisconnected
        when the account is disconnected, and the upstream errors of the reads.
        """
        spec = spec_of(ticket.symbol)
        if ticket.order_type.is_pending and ticket.price is None:
            raise UsageError(f"a {ticket.order_type.value} order needs a PRICE")
        if ticket.order_type.is_stop_limit and ticket.stop_limit is None:
            raise UsageError(f"a {ticket.order_type.value} order needs a LIMIT price (placed once PRICE trades)")
        if ticket.risk is None:
            check_volume(spec, ticket.volume)
        elif ticket.sl is None:
            raise UsageError("risk= sizes the order from the stop, so it needs one: add sl= (a price or pips)",
                             usage=RISK_USAGE, example=RISK_EXAMPLE)
        bound = await self._brokers.for_chat(chat_id)
        account_id = bound.account_id
        async with upstream_call(self._storage, bound.key_id, what="prepare the order"):
            quote, account = await read_when_connected(bound.broker, account_id, asyncio.gather(
                bound.broker.get_quote(spec.symbol, account_id=account_id),
                bound.broker.get_account(account_id=account_id),
            ))
            mids = await self._conversion_mids(bound.broker, account_id, spec, account.currency, quote)
            wants_limits = (ticket.risk is not None or len(ticket.take_profits) > 1
                            or isinstance(bound.broker, SupportsSymbolSpecs))
            limits = await broker_volume_limits(bound.broker, account_id, spec) if wants_limits else None
        if ticket.risk is None and limits is not None and len(ticket.take_profits) <= 1:
            check_broker_volume(spec.symbol, ticket.volume, limits)
        if len(ticket.take_profits) > 1:
            ticket = replace(ticket, tp=ticket.take_profits[0].stop)
        card = order_card(ticket, spec, quote, account, mids)
        if ticket.risk is not None:
            assert limits is not None
            card = sized_card(ticket, ticket.risk, card, spec, quote, account, mids, limits)
        legs: tuple[OrderRequest, ...] = ()
        if len(ticket.take_profits) > 1:
            assert limits is not None
            card, legs = tp_legs(replace(ticket, volume=card.volume), card, limits,
                                 lambda leg: order_card(leg, spec, quote, account, mids))
        request = OrderRequest(symbol=spec.symbol, type=ticket.order_type, volume=card.volume,
                               price=card.price if ticket.order_type.is_pending else None,
                               sl=card.sl, tp=card.tp, stop_limit_price=card.stop_limit_price)
        if not legs:
            card = await with_broker_margin(bound.broker, card, request, account_id)
        return PreparedOrder(card=card, request=request, key_id=bound.key_id, account_id=account_id, legs=legs)

    async def send_legs(self, prepared: PreparedOrder) -> list[LegOutcome]:
        """Send a multi-TP order's legs one by one, each once (see `order_legs.send_legs`)."""
        return await send_legs(self._storage, self._brokers, prepared)

    async def send_order(self, prepared: PreparedOrder) -> OrderResult:
        """Send a prepared order exactly once; an unknown outcome is reported, never resent.

        An order its card judged short of margin is refused here without sending (UserError)."""
        refusal = margin_verdict(prepared.card).refusal
        if refusal is not None:
            raise UserError(f"{refusal} — nothing was sent")
        if self.order_guard is not None:  # a blocked account or an exposure limit refuses every order source
            await self.order_guard.check_order(prepared)
        broker = await self._brokers.for_key(prepared.key_id)
        try:
            async with upstream_call(self._storage, prepared.key_id, what="place the order",
                                     outcome_message=ORDER_OUTCOME_UNKNOWN):
                try:
                    return await broker.place_order(prepared.request, account_id=prepared.account_id)
                except InvalidArgumentError as error:  # refused by the backend before anything was sent
                    if error.code == UNSUPPORTED_ORDER_TYPE:
                        raise UserError(unsupported_order_message(prepared.request.type)) from error
                    raise
        except UpstreamRejected as error:
            if error.code != "insufficient_margin":
                raise
            # the card's estimate fitted, but the broker counts more (its commission, a moved price)
            raise UpstreamRejected(error.reason, error.code, message=(
                f"FxSocket refused the order for margin — {error.reason} — nothing was sent; the broker also "
                "counts the order's commission and the price may have moved since the card: /account shows "
                "the free margin")) from error

    async def _conversion_mids(self, broker: Broker, account_id: str | None, spec: InstrumentSpec,
                               currency: str, quote: Quote) -> dict[str, float]:
        mids = {quote.symbol: (quote.bid + quote.ask) / 2}
        needed = [s for s in conversion_symbols(spec.quote, currency) if s not in mids]
        quotes = await asyncio.gather(*(broker.get_quote(s, account_id=account_id) for s in needed))
        mids.update({q.symbol: (q.bid + q.ask) / 2 for q in quotes})
        return mids

    # --- reading ---------------------------------------------------------------------------------

    async def positions(self, chat_id: str) -> AccountPositions:
        """The chat's account and its open positions."""
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the positions"):
            account, positions = await asyncio.gather(
                bound.broker.get_account(account_id=bound.account_id),
                bound.broker.get_positions(account_id=bound.account_id),
            )
        return AccountPositions(account=account, positions=positions)

    async def pending_orders(self, chat_id: str) -> AccountOrders:
        """The chat's account and its pending orders."""
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the pending orders"):
            account, orders = await asyncio.gather(
                bound.broker.get_account(account_id=bound.account_id),
                bound.broker.get_orders(account_id=bound.account_id),
            )
        return AccountOrders(account=account, orders=orders)

    # --- modifying -------------------------------------------------------------------------------

    async def modify(self, chat_id: str, ref: str, *, sl: StopEdit | None = None, tp: StopEdit | None = None,
                     price: float | None = None) -> ModifyOutcome:
        """Change the SL/TP of a position (or SL/TP/price of a pending order); None leaves a field alone.

        Stops in pips are measured from the position's open price or the order's (new) price.
        """
        if sl is None and tp is None and price is None:
            raise UsageError("nothing to change — give sl=, tp= or price=", usage=MODIFY_USAGE,
                             example=f"/modify {display_id(ref)} sl=1.0800 tp=none")
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the order to modify"):
            position, order = await read_when_connected(bound.broker, bound.account_id, self._find(bound, ref))
            symbol = position.symbol if position is not None else order.symbol if order is not None else ""
            quote = await bound.broker.get_quote(symbol, account_id=bound.account_id) if symbol else None
        changes, outcome_ref, label, kind = modify_changes(ref, position, order, quote, sl, tp, price)
        async with upstream_call(self._storage, bound.key_id, what="modify the order"):
            result = await bound.broker.modify_order(outcome_ref, changes, account_id=bound.account_id)
        return ModifyOutcome(ref=outcome_ref, symbol=symbol, kind=kind, label=label, result=result)

    async def _find(self, bound: BoundBroker, ref: str) -> tuple[Position | None, PendingOrder | None]:
        positions, orders = await asyncio.gather(
            bound.broker.get_positions(account_id=bound.account_id),
            bound.broker.get_orders(account_id=bound.account_id),
        )
        position = next((p for p in positions if ref in (p.id, p.order_id)), None)
        order = next((o for o in orders if o.id == ref), None)
        return position, order
