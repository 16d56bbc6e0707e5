"""A key's context with the SDK faked at its seams (the account list, the terminal client): what a terminal's 401
means, the server clock's cache and daylight saving switches seen on the stream, shared `/OpenedOrders` reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import fxsocket
import pytest
from fxsocket.models import OpenedOrder, ServerTimezone

from fxbot.backends.sdk_context import KeyContext
from fxbot.domain.broker import (
    AccessRefusal,
    AccountOutsideKeyError,
    BrokerError,
    KeyRefusedError,
    UnreachableError,
)
from fxbot.fxsocket.pacing import RequestPacer
from tests.fakes.clocks import ManualClock

SUMMER_NOON = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
ACCOUNT = fxsocket.Account.model_validate({
    "id": "acc_1", "platform": "mt5", "server": "Demo", "login": 1, "status": "connected",
    "rest_url": "http://127.0.0.1:9/sdk/t/acc_1", "ws_url": "ws://127.0.0.1:9/sdk/t/acc_1/ws",
    "created_at": "2026-01-01T00:00:00Z",
})


class FakeDirectory:
    """What the management API's account list answers (or raises)."""

    def __init__(self, answer: bool | BrokerError) -> None:
        self.answer = answer

    async def listed(self, account_id: str) -> bool:
        if isinstance(self.answer, BrokerError):
            raise self.answer
        return self.answer

    async def get(self, account_id: str | None) -> fxsocket.Account:
        return ACCOUNT


class FakeTerminal:
    """The SDK's terminal client for the calls under test."""

    def __init__(self, offset_s: int, server_time: str) -> None:
        self.offset_s = offset_s
        self.server_time = server_time
        self.timezone_reads = 0
        self.opened_reads = 0
        self.release = asyncio.Event()

    async def server_timezone(self) -> ServerTimezone:
        self.timezone_reads += 1
        return ServerTimezone.model_validate({"serverTime": self.server_time, "utcOffsetSeconds": self.offset_s})

    async def opened_orders(self) -> list[OpenedOrder]:
        self.opened_reads += 1
        await self.release.wait()
        return []


@pytest.fixture
async def key() -> AsyncIterator[KeyContext]:
    monotonic = ManualClock()
    made = KeyContext("fxs_ro_unitTestKey000000000000", management_url="http://127.0.0.1:9/sdk/v1",
                      pacer=RequestPacer(), monotonic=monotonic, utc_now=lambda: SUMMER_NOON)
    yield made
    await made.aclose()


def with_directory(key: KeyContext, answer: bool | BrokerError) -> None:
    key.directory = FakeDirectory(answer)  # type: ignore[assignment]


def with_terminal(key: KeyContext, terminal: FakeTerminal) -> None:
    key.client.terminal = lambda account, **_: terminal  # type: ignore[method-assign, assignment]


async def test_a_terminal_401_for_an_account_the_key_no_longer_lists_is_outside_the_key(key: KeyContext) -> None:
    refused = KeyRefusedError("the terminal refused the key", status=401)
    with_directory(key, False)
    outside = await key.terminal_refusal("acc_1", refused)
    assert isinstance(outside, AccountOutsideKeyError) and outside.refusal is AccessRefusal.ACCOUNT_OUTSIDE_KEY
    with_directory(key, True)
    assert await key.terminal_refusal("acc_1", refused) is refused  # still listed: the key itself was refused
    revoked = KeyRefusedError("management refused the key too", status=401)
    with_directory(key, revoked)
    assert await key.terminal_refusal("acc_1", refused) is revoked
    with_directory(key, UnreachableError("down", write=False))
    assert await key.terminal_refusal("acc_1", refused) is refused


async def test_the_server_clock_is_cached_and_follows_a_switch_seen_on_the_stream(key: KeyContext) -> None:
    terminal = FakeTerminal(3 * 3600, "2026-07-15T15:00:00.000Z")
    with_terminal(key, terminal)
    with_directory(key, True)
    context = await key.account(None)
    clock = await context.clock()
    assert clock.offset_s == 3 * 3600 and clock.observed_at == SUMMER_NOON
    assert await context.clock() is clock and terminal.timezone_reads == 1
    context.observe_server_time("2026-07-15T15:07:00Z")  # minutes off: a clock that is off, not a switch
    assert context.cached_clock() is clock
    context.observe_server_time("2026-07-15T16:00:01Z")  # an hour later than it should be: a switch
    switched = context.cached_clock()
    assert switched is not None and switched.offset_at(SUMMER_NOON) == 4 * 3600
    assert await context.clock(fresh=True) is not switched and terminal.timezone_reads == 2


async def test_positions_and_orders_read_together_share_one_request(key: KeyContext) -> None:
    terminal = FakeTerminal(0, "2026-07-15T12:00:00Z")
    with_terminal(key, terminal)
    with_directory(key, True)
    context = await key.account(None)
    reads: list[Any] = [asyncio.ensure_future(context.opened_orders()) for _ in range(3)]
    await asyncio.sleep(0)
    terminal.release.set()
    assert await asyncio.gather(*reads) == [[], [], []] and terminal.opened_reads == 1
    assert await context.opened_orders() == [] and terminal.opened_reads == 2  # a later read is a new request


async def test_the_key_is_never_shown() -> None:
    made = KeyContext("fxs_live_neverShowMe000000000000", management_url="http://x/sdk/v1", pacer=RequestPacer())
    assert "neverShowMe" not in repr(made) and "full" in repr(made)
    await made.aclose()
