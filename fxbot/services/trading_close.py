"""Closing positions (by id, symbol, filter or all; partial by volume or percent), reversing one, and
cancelling pending orders (one, a symbol's or all)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.domain.broker import Broker, PendingOrder, Position, display_id
from fxbot.domain.instruments import instrument
from fxbot.errors import FxbotError, NotFound, OutcomeUnknown, UsageError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.close_filters import CANCEL_USAGE, CLOSE_USAGE, CloseAmount, CloseFilter, partial_volume
from fxbot.services.risk_sizing import VolumeLimits, broker_volume_limits
from fxbot.services.trading_models import (
    CancelItemOutcome,
    CancelOutcome,
    CancelPlan,
    CloseOutcome,
    ClosePlan,
    CloseTargetKind,
    ReverseOutcome,
    ReversePlan,
)
from fxbot.services.upstream import ORDER_OUTCOME_UNKNOWN, ensure_connected, upstream_call

if TYPE_CHECKING:
    from fxbot.storage import Storage

__all__ = ["CANCEL_USAGE", "CLOSE_USAGE", "CloseService"]
CLOSE_OUTCOME_UNKNOWN = (
    "FxSocket did not confirm the close — the position may have been closed; check /positions; "
    "it was NOT resent"
)
CANCEL_OUTCOME_UNKNOWN = (
    "FxSocket did not confirm the cancel — the order may have been cancelled; check /orders; "
    "it was NOT resent"
)


class CloseService:
    """Close and cancel use cases (the base of TradingService)."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, clock: Callable[[], datetime]) -> None:
        self._storage = storage
        self._brokers = brokers
        self._clock = clock

    async def plan_close(self, chat_id: str, target: str, kind: CloseTargetKind,
                         volume: float | None = None, *, amount: CloseAmount | None = None,
                         close_filter: CloseFilter | None = None) -> ClosePlan:
        """The positions `/close target [volume|percent]` would close; nothing is sent.

        `kind` says what `target` is: an order/position id, a canonical symbol, "all" or "filter" (then
        `close_filter` says which). A VOLUME or percentage is a partial close of one position; a percentage
        is rounded down to the volume step, and a remainder below the minimum volume closes it all.
        """
        if volume is not None and amount is None:
            amount = CloseAmount(volume=volume)
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the positions"):
            accounts = await bound.broker.list_accounts()
            ensure_connected(accounts, bound.account_id)
            account, positions = await asyncio.gather(
                bound.broker.get_account(account_id=bound.account_id),
                bound.broker.get_positions(account_id=bound.account_id),
            )
            orders = await bound.broker.get_orders(account_id=bound.account_id) if kind == "id" else []
            chosen = self._choose(target, kind, close_filter, positions, orders)
            limits = (await self._limits(bound.broker, bound.account_id, chosen[0].symbol)
                      if amount is not None else None)
        note: str | None = None
        sent_volume: float | None = None
        if amount is not None:
            assert limits is not None
            if len(chosen) > 1:
                raise UsageError(f"a VOLUME closes part of ONE position, but {target} matches "
                                 f"{len(chosen)} — give a position's ticket or id", usage=CLOSE_USAGE,
                                 example=f"/close {display_id(chosen[0].id)} 50%")
            partial = partial_volume(chosen[0].volume, amount, limits)
            sent_volume, note = partial.volume, partial.note
        return ClosePlan(target=target, kind=kind, positions=chosen, volume=sent_volume, key_id=bound.key_id,
                         account_id=bound.account_id, currency=account.currency, filter=close_filter, note=note)

    @staticmethod
    def _choose(target: str, kind: CloseTargetKind, close_filter: CloseFilter | None, positions: list[Position],
                orders: list[PendingOrder]) -> list[Position]:
        if kind == "id":
            chosen = [p for p in positions if target in (p.id, p.order_id)]
            if not chosen:
                shown = display_id(target)
                if any(o.id == target for o in orders):
                    raise UsageError(f"{shown} is a pending order — use /cancel {shown} to cancel it",
                                     usage=CANCEL_USAGE, example=f"/cancel {shown}")
                raise NotFound(f"no open position {shown} — see /positions")
        elif kind == "symbol":
            chosen = [p for p in positions if p.symbol == target]
            if not chosen:
                raise NotFound(f"no open {target} positions — see /positions")
        elif kind == "filter":
            assert close_filter is not None
            chosen = [p for p in positions if close_filter.matches(p)]
            if not chosen:
                raise NotFound(f"no open position matches: {close_filter.describe()} — nothing was closed; "
                               "see /positions")
        else:
            chosen = list(positions)
            if not chosen:
                raise NotFound("there are no open positions to close")
        return chosen

    async def _limits(self, broker: Broker, account_id: str | None, symbol: str) -> VolumeLimits:
        spec = instrument(symbol)
        if spec is None:
            return VolumeLimits(0.01, 0.01, 100.0)
        return await broker_volume_limits(broker, account_id, spec)

    async def execute_close(self, plan: ClosePlan) -> list[CloseOutcome]:
        """Close every planned position once, one after another; each gets its own result or reason."""
        broker = await self._brokers.for_key(plan.key_id)
        outcomes: list[CloseOutcome] = []
        for position in plan.positions:
            try:
                async with upstream_call(self._storage, plan.key_id, what=f"close {display_id(position.id)}",
                                         outcome_message=CLOSE_OUTCOME_UNKNOWN):
                    result = await broker.close_order(position.id, volume=plan.volume,
                                                      account_id=plan.account_id)
            except OutcomeUnknown as exc:
                outcomes.append(CloseOutcome(position, None, exc.message, outcome_unknown=True))
            except FxbotError as exc:
                outcomes.append(CloseOutcome(position, None, exc.message))
            else:
                outcomes.append(CloseOutcome(position, result))
        return outcomes

    async def cancel(self, chat_id: str, ref: str) -> CancelOutcome:
        """Cancel one pending order; a position id is pointed to /close."""
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the pending orders"):
            accounts = await bound.broker.list_accounts()
            ensure_connected(accounts, bound.account_id)
            orders = await bound.broker.get_orders(account_id=bound.account_id)
            order = next((o for o in orders if o.id == ref), None)
            if order is None:
                shown = display_id(ref)
                positions = await bound.broker.get_positions(account_id=bound.account_id)
                if any(ref in (p.id, p.order_id) for p in positions):
                    raise UsageError(f"{shown} is an open position — use /close {shown} to close it",
                                     usage=CLOSE_USAGE, example=f"/close {shown}")
                raise NotFound(f"no pending order {shown} — see /orders")
        async with upstream_call(self._storage, bound.key_id, what="cancel the order",
                                 outcome_message=CANCEL_OUTCOME_UNKNOWN):
            result = await bound.broker.close_order(order.id, account_id=bound.account_id)
        return CancelOutcome(order=order, result=result)

    async def plan_cancel(self, chat_id: str, symbol: str | None) -> CancelPlan:
        """The pending orders `/cancel all` (symbol None) or `/cancel SYMBOL` would cancel; nothing is sent."""
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the pending orders"):
            accounts = await bound.broker.list_accounts()
            ensure_connected(accounts, bound.account_id)
            orders = await bound.broker.get_orders(account_id=bound.account_id)
        chosen = [o for o in orders if symbol is None or o.symbol == symbol]
        if not chosen:
            raise NotFound("there are no pending orders to cancel" if symbol is None
                           else f"no pending {symbol} orders — see /orders")
        return CancelPlan(target=symbol or "all", orders=chosen, key_id=bound.key_id, account_id=bound.account_id)

    async def execute_cancel(self, plan: CancelPlan) -> list[CancelItemOutcome]:
        """Cancel every planned order once, one write each; an unknown outcome is reported, never resent."""
        broker = await self._brokers.for_key(plan.key_id)
        outcomes: list[CancelItemOutcome] = []
        for order in plan.orders:
            try:
                async with upstream_call(self._storage, plan.key_id, what=f"cancel {display_id(order.id)}",
                                         outcome_message=CANCEL_OUTCOME_UNKNOWN):
                    result = await broker.close_order(order.id, account_id=plan.account_id)
            except OutcomeUnknown as exc:
                outcomes.append(CancelItemOutcome(order, None, exc.message, outcome_unknown=True))
            except FxbotError as exc:
                outcomes.append(CancelItemOutcome(order, None, exc.message))
            else:
                outcomes.append(CancelItemOutcome(order, result))
        return outcomes

    async def plan_reverse(self, chat_id: str, ref: str) -> ReversePlan:
        """The position `/reverse ID` would close and re-open the other way; nothing is sent."""
        plan = await self.plan_close(chat_id, ref, "id")
        return ReversePlan(position=plan.positions[0], key_id=plan.key_id, account_id=plan.account_id,
                           currency=plan.currency)

    async def execute_reverse(self, plan: ReversePlan) -> ReverseOutcome:
        """Close the position, then — only if the close was confirmed — open the opposite side. Each leg is
        one write; neither is resent, and a failed second leg leaves the account flat (reported)."""
        close_plan = ClosePlan(target=plan.position.id, kind="id", positions=[plan.position], volume=None,
                               key_id=plan.key_id, account_id=plan.account_id, currency=plan.currency)
        closed = (await self.execute_close(close_plan))[0]
        if not closed.ok:
            return ReverseOutcome(close=closed)
        broker = await self._brokers.for_key(plan.key_id)
        try:
            async with upstream_call(self._storage, plan.key_id, what="open the opposite position",
                                     outcome_message=ORDER_OUTCOME_UNKNOWN):
                opened = await broker.place_order(plan.request, account_id=plan.account_id)
        except OutcomeUnknown as exc:
            return ReverseOutcome(close=closed, open_error=exc.message, open_unknown=True)
        except FxbotError as exc:
            return ReverseOutcome(close=closed, open_error=exc.message)
        return ReverseOutcome(close=closed, opened=opened)
