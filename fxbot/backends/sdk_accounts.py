"""The accounts an SDK key reaches (management `GET /accounts`), cached, in a stable order, resolved by id.

The first account — what `account_id=None` means — is the oldest (`created_at`, then `id`): the API's
own order is unspecified. The list is re-read when it is older than `ttl_s`, or once on a miss.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import fxsocket

from fxbot.backends.sdk_calls import SdkCaller
from fxbot.domain.broker.errors import AccountOutsideKeyError, NotFoundError

Clock = Callable[[], float]


def account_order(account: fxsocket.Account) -> tuple[float, str]:
    return (account.created_at.timestamp(), account.id)


class AccountDirectory:
    """One key's account list (SDK `Account` models), sorted oldest first."""

    def __init__(self, client: fxsocket.AsyncClient, caller: SdkCaller, *, bucket: str, read_only: bool,
                 ttl_s: float = 300.0, clock: Clock = time.monotonic) -> None:
        self._client = client
        self._caller = caller
        self._bucket = bucket
        self.read_only = read_only
        self._ttl_s = ttl_s
        self._clock = clock
        self._accounts: list[fxsocket.Account] | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        count = "unread" if self._accounts is None else len(self._accounts)
        return f"AccountDirectory(<{count} accounts>, read_only={self.read_only})"

    async def accounts(self, *, fresh: bool = False) -> list[fxsocket.Account]:
        """Every account of the key, oldest first (re-read when stale or `fresh`; concurrent reads share one)."""
        asked_at = self._clock()
        async with self._lock:
            stale = self._accounts is None or self._clock() - self._read_at >= self._ttl_s
            if stale or (fresh and self._read_at < asked_at):
                found = await self._caller.call(self._client.accounts.list, bucket=self._bucket, write=False,
                                                what="GET /accounts")
                self._accounts = sorted(found, key=account_order)
                self._read_at = self._clock()
            assert self._accounts is not None
            return list(self._accounts)

    async def find(self, account_id: str | None) -> fxsocket.Account | None:
        """The account (the first when None), re-reading the list once on a miss; None when it is not there."""
        for fresh in (False, True):
            accounts = await self.accounts(fresh=fresh)
            if account_id is None:
                if accounts:
                    return accounts[0]
            else:
                found = next((a for a in accounts if a.id == account_id), None)
                if found is not None:
                    return found
        return None

    async def get(self, account_id: str | None) -> fxsocket.Account:
        """The account; NotFoundError when the key reaches none (or not this one). For a read-only key an
        account it does not list is AccountOutsideKeyError: such keys may be limited to selected accounts."""
        found = await self.find(account_id)
        if found is not None:
            return found
        if account_id is None:
            raise NotFoundError("this FxSocket key reaches no trading account")
        if self.read_only:
            raise AccountOutsideKeyError(
                f"this read-only key does not reach account {account_id} (a key limited to selected accounts "
                "sees only those — or the account does not exist)")
        raise NotFoundError(f"no account {account_id} on this FxSocket key")

    async def listed(self, account_id: str) -> bool:
        """Whether a freshly read list still has the account (port errors when it cannot be read)."""
        return any(a.id == account_id for a in await self.accounts(fresh=True))
