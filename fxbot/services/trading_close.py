"""Closing positions (by id, symbol or all; partial by volume) and cancelling pending orders."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.domain.broker import display_id
from fxbot.domain.formatting import format_volume
from fxbot.errors import FxbotError, NotFound, OutcomeUnknown, UsageError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.trading_models import CancelOutcome, CloseOutcome, ClosePlan, CloseTargetKind
from fxbot.services.upstream import ensure_connected, upstream_call

if TYPE_CHECKING:
    from fxbot.storage import Storage

CLOSE_USAGE = "/close ID | SYMBOL | all [VOLUME]"
CANCEL_USAGE = "/cancel ID"
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
                         volume: float | None = None) -> ClosePlan:
        """The positions `/close target [volume]` would close; nothing is sent.

        `kind` says what `target` is: an order/position id, a canonical symbol or "all". A VOLUME is
        a partial close and only works on one position, for less than its volume (equal = full close).
        """
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the positions"):
            accounts = await bound.broker.list_accounts()
            ensure_connected(accounts, bound.account_id)
            account, positions = await asyncio.gather(
                bound.broker.get_account(account_id=bound.account_id),
                bound.broker.get_positions(account_id=bound.account_id),
            )
            orders = await bound.broker.get_orders(account_id=bound.account_id) if kind == "id" else []
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
        else:
            chosen = list(positions)
            if not chosen:
                raise NotFound("there are no open positions to close")
        if volume is not None:
            if len(chosen) > 1:
                raise UsageError(f"a VOLUME closes part of ONE position, but {target} matches "
                                 f"{len(chosen)} — give a position's ticket or id", usage=CLOSE_USAGE,
                                 example=f"/close {display_id(chosen[0].id)} 0.05")
            position = chosen[0]
            if volume > position.volume + 1e-9:
                raise UsageError(f"volume {format_volume(volume)} is more than the position's "
                                 f"{format_volume(position.volume)} lots",
                                 usage=CLOSE_USAGE,
                                 example=f"/close {display_id(position.id)} {format_volume(position.volume)}")
            if abs(volume - position.volume) < 1e-9:
                volume = None  # the whole position
        return ClosePlan(target=target, kind=kind, positions=chosen, volume=volume, key_id=bound.key_id,
                         account_id=bound.account_id, currency=account.currency)

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
