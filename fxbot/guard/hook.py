"""The guard's hooks as seen by their callers: the order check before any send, and the stream's account feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fxbot.alerts.account_eval import AccountState
    from fxbot.services.trading_models import PreparedOrder


class OrderGuard(Protocol):
    """Refuses (UserError, nothing sent) an order on a blocked account or one over an exposure limit."""

    async def check_order(self, prepared: PreparedOrder) -> None: ...


class AccountGuard(Protocol):
    """What the stream tells the guard: each account update, and each reconcile after a gap."""

    async def on_account(self, key_id: int, account_id: str, acc: AccountState, chat_ids: Sequence[str]) -> None: ...

    async def check_account(self, key_id: int, account_id: str, chat_ids: Sequence[str]) -> None: ...
