"""The trading accounts a chat's key reaches: the chat's account figures, the list, and choosing one.

Constructor: `AccountService(*, storage: Storage, brokers: BrokerProvider)`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fxbot.domain.broker import Account, AccountSummary
from fxbot.errors import NotFound, UsageError
from fxbot.services.brokers import BrokerProvider
from fxbot.services.pnl_figures import FloatingPnl, floating_pnl
from fxbot.services.upstream import upstream_call
from fxbot.storage import Storage


@dataclass(frozen=True, slots=True)
class AccountDetails:
    """The figures of the chat's account, its floating P&L summed from its open positions (the same figure
    /positions shows) and, when the key lists it, its summary (broker, status…)."""

    account: Account
    summary: AccountSummary | None
    floating: FloatingPnl | None = None


@dataclass(frozen=True, slots=True)
class AccountChoice:
    """Every account the chat's key reaches and the id of the one the chat uses."""

    accounts: tuple[AccountSummary, ...]
    selected_id: str | None
    explicitly_chosen: bool


def match_account(accounts: list[AccountSummary] | tuple[AccountSummary, ...], ref: str) -> AccountSummary:
    """The account named by `ref`: its id ("acc_8xKm2"), its login (12345678) or its list number (1, 2…)."""
    text = ref.strip()
    if not text:
        raise UsageError("name an account: its id, login or number in /accounts", usage="/use ACCOUNT")
    for summary in accounts:
        if summary.id.casefold() == text.casefold():
            return summary
    if text.isdigit():
        number = int(text)
        for summary in accounts:
            if summary.login is not None and summary.login == number:
                return summary
        if 1 <= number <= len(accounts):
            return accounts[number - 1]
    raise NotFound(
        f"no account {text!r} among the {len(accounts)} this chat's key reaches — "
        "use an id, a login or a number from /accounts"
    )


class AccountService:
    """Reads accounts through the chat's key and stores which one the chat uses (in its binding)."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider) -> None:
        self._storage = storage
        self._brokers = brokers

    def __repr__(self) -> str:
        return "AccountService()"

    async def details(self, chat_id: str) -> AccountDetails:
        """Balance, equity, margin… of the chat's account, plus its summary from the accounts list."""
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="read the account"):
            account, positions = await asyncio.gather(
                bound.broker.get_account(account_id=bound.account_id),
                bound.broker.get_positions(account_id=bound.account_id),
            )
            summaries = await bound.broker.list_accounts()
        summary = next((s for s in summaries if s.id == account.id), None)
        return AccountDetails(account=account, summary=summary, floating=floating_pnl(positions))

    async def choices(self, chat_id: str) -> AccountChoice:
        """Every account of the chat's key; the selected one is the binding's, else the key's first."""
        bound = await self._brokers.for_chat(chat_id)
        async with upstream_call(self._storage, bound.key_id, what="list the accounts"):
            summaries = await bound.broker.list_accounts()
        selected = bound.account_id or (summaries[0].id if summaries else None)
        return AccountChoice(
            accounts=tuple(summaries), selected_id=selected, explicitly_chosen=bound.account_id is not None
        )

    async def use(self, chat_id: str, ref: str) -> AccountSummary:
        """Make the chat trade the account named by `ref` (validated against the key's accounts list)."""
        chosen = match_account((await self.choices(chat_id)).accounts, ref)
        await self._storage.bindings.set_account(chat_id, chosen.id)
        return chosen
