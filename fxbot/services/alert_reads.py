"""What a new or resumed alert is judged on at once: the chat's account (the key's first when the chat names none)
and the current quote or account state over REST, asked at the same time."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.price_reading import PriceReading
from fxbot.alerts.rules import AccountRule, PriceSide, Rule
from fxbot.errors import UserError
from fxbot.services.brokers import BoundBroker
from fxbot.services.upstream import account_summary, upstream_call

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from fxbot.storage import Storage

Reading = PriceReading | AccountState


async def read_now(storage: Storage, bound: BoundBroker, symbol: str | None, account_id: str | None,
                   clock: Callable[[], datetime]) -> Reading:
    """The current quote of `symbol` for a price rule (stamped with when it was asked for), or the account state for
    an account rule (`symbol` None), over REST, for `account_id` (None: the key's first account)."""
    if symbol is None:
        async with upstream_call(storage, bound.key_id, what="read the account"):
            return AccountState.from_account(await bound.broker.get_account(account_id=account_id))
    asked_at = clock()  # the engine's clock, as the stream's quotes: comparable with the book's
    async with upstream_call(storage, bound.key_id, what=f"read the quote of {symbol}"):
        quote = await bound.broker.get_quote(symbol, account_id=account_id)
    return PriceReading(bid=quote.bid, ask=quote.ask, asked_at=asked_at)


def rule_symbol(rule: Rule) -> str | None:
    """What `read_now` reads for a rule: its symbol, None for an account rule."""
    return None if isinstance(rule, AccountRule) else rule.symbol


async def account_of(storage: Storage, bound: BoundBroker) -> str:
    """The chat's account: the binding's, else the key's first (listed); UserError when the key reaches none."""
    if bound.account_id is not None:
        return bound.account_id
    async with upstream_call(storage, bound.key_id, what="list the key's accounts"):
        accounts = await bound.broker.list_accounts()
    summary = account_summary(accounts, None)
    if summary is None:
        raise UserError("the chat's key reaches no trading account")
    return summary.id


async def account_and_reading(storage: Storage, bound: BoundBroker, symbol: str | None,
                              clock: Callable[[], datetime]) -> tuple[str, Reading]:
    """The chat's account and the reading a new rule is judged on (`read_now`'s: `symbol`'s quote, or the account
    state when None), asked at once — one round trip instead of two when the chat names no account (the reading then
    goes to the key's first account, as every request without an account does). Errors keep the precedence they had
    one after the other: the account's (no account reached, the listing failed) before the reading's; both requests
    are finished either way."""
    account, reading = await asyncio.gather(account_of(storage, bound),
                                            read_now(storage, bound, symbol, bound.account_id, clock),
                                            return_exceptions=True)
    if isinstance(account, BaseException):
        raise account
    if isinstance(reading, BaseException):
        raise reading
    return account, reading


def side_price(reading: PriceReading, side: PriceSide) -> float:
    """The price a rule on `side` (bid, ask or mid) watches."""
    if side is PriceSide.BID:
        return reading.bid
    return reading.ask if side is PriceSide.ASK else (reading.bid + reading.ask) / 2
