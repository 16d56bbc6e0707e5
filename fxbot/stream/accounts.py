"""Account updates of a stream session: the key's accounts resolved, the account-alert and guard loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.account_eval import AccountState
from fxbot.domain.broker import Broker
from fxbot.services.alerts import AlertService

if TYPE_CHECKING:
    from fxbot.guard.hook import AccountGuard
    from fxbot.stream.session import BoundChat

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SessionAccounts:
    """The accounts the session's chats reach, with their chats, bindings, currencies and open positions."""

    chats: dict[str, list[str]] = field(default_factory=dict)  # account -> chat ids
    bound_at: dict[str, datetime] = field(default_factory=dict)  # account -> earliest binding
    currency: dict[str, str] = field(default_factory=dict)
    positions: dict[str, dict[str, str]] = field(default_factory=dict)  # account -> position id -> symbol


class AccountUpdates:
    """The session's account side: which accounts its chats reach, and each account update judged in turn."""

    key_id: int
    guard: AccountGuard | None
    _chats: list[BoundChat]
    _alerts: AlertService
    _clock: Callable[[], datetime]
    _acc: SessionAccounts
    _default_account: str | None
    _broker: Broker | None
    _pending_accounts: dict[str, AccountState]
    _account_wake: asyncio.Event

    async def _resolve_accounts(self) -> None:
        broker = self._broker
        assert broker is not None
        if self._default_account is None and any(c.account_id is None for c in self._chats):
            accounts = await broker.list_accounts()
            if not accounts:
                raise RuntimeError("the key reaches no trading account")
            self._default_account = accounts[0].id
            for summary in accounts:
                if summary.currency:
                    self._acc.currency.setdefault(summary.id, summary.currency)
        chats: dict[str, list[str]] = {}
        bound_at: dict[str, datetime] = {}
        for chat in self._chats:
            account_id = chat.account_id or self._default_account
            if account_id is None:
                continue
            chats.setdefault(account_id, []).append(chat.chat_id)
            bound_at[account_id] = min(bound_at.get(account_id, chat.bound_at), chat.bound_at)
        self._acc.chats = chats
        self._acc.bound_at = bound_at

    async def _account_loop(self) -> None:
        while True:
            await self._account_wake.wait()
            self._account_wake.clear()
            pending, self._pending_accounts = self._pending_accounts, {}
            for account_id, state in pending.items():  # latest state per account only
                self._acc.currency[account_id] = state.currency
                try:
                    firings = self._alerts.engine.on_account(account_id, state, self._clock())
                    await self._alerts.deliver(firings)
                except Exception:  # this update is lost; the next one is judged as usual
                    log.exception("stream of key %s: could not judge or deliver the account alerts of %s",
                                  self.key_id, account_id)
                if self.guard is not None:
                    try:
                        await self.guard.on_account(self.key_id, account_id, state, self._acc.chats.get(account_id, []))
                    except Exception:
                        log.exception("stream of key %s: the guard could not judge account %s", self.key_id, account_id)

    async def _guard_reconcile(self) -> None:
        """After a gap: the guard judges each account on its state read over REST (and resumes a close-all)."""
        if self.guard is None:
            return
        for account_id, chat_ids in list(self._acc.chats.items()):
            try:
                await self.guard.check_account(self.key_id, account_id, chat_ids)
            except Exception:
                log.exception("stream of key %s: the guard could not check account %s", self.key_id, account_id)
