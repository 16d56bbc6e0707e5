"""Reads asked at the same time as the key's account list, judged as if the list came first: the chat's account must
be connected (else AccountDisconnected, whatever the reads gave) before their answers or errors count."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from fxbot.domain.broker import Broker
from fxbot.services.upstream import ensure_connected

T = TypeVar("T")


async def read_when_connected(broker: Broker, account_id: str | None, read: Awaitable[T]) -> T:
    """`read`'s answer, once the key's account list (asked at once with it: one round trip instead of two) says the
    chat's account is connected.

    `read` must only read: it runs before the account is known to be connected. Errors keep the precedence they had
    when the list was read first — the list's own error, then AccountDisconnected, then `read`'s error — and both
    requests are finished (answered or failed) before this returns or raises, so nothing is left running."""
    listing, answer = await asyncio.gather(broker.list_accounts(), read, return_exceptions=True)
    for result in (listing, answer):
        if isinstance(result, BaseException) and not isinstance(result, Exception):
            raise result  # cancelled, or the process is stopping
    if isinstance(listing, BaseException):
        raise listing
    ensure_connected(listing, account_id)
    if isinstance(answer, BaseException):
        raise answer
    return answer
