"""read_when_connected: the key's account list and the reads asked at once, judged as if the list came first."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from fxbot.domain.broker import AccountSummary, Broker
from fxbot.errors import AccountDisconnected
from fxbot.services.connected_reads import read_when_connected


class ListingBroker:
    """Only what read_when_connected asks: the key's accounts (or an error), after `release` is set."""

    def __init__(self, status: str = "connected", error: Exception | None = None) -> None:
        self.status = status
        self.error = error
        self.release = asyncio.Event()
        self.listed = False

    async def list_accounts(self) -> list[AccountSummary]:
        await self.release.wait()
        self.listed = True
        if self.error is not None:
            raise self.error
        return [AccountSummary(id="acc_1", broker="B", platform="MT5", status=self.status, login=7)]


def broker(fake: ListingBroker) -> Broker:
    return cast(Broker, fake)


async def answer(value: str, *, release: asyncio.Event | None = None, error: Exception | None = None) -> str:
    """A read that lets the listing answer (it was asked before the listing's answer came) and then answers."""
    if release is not None:
        release.set()
    await asyncio.sleep(0)
    if error is not None:
        raise error
    return value


async def test_the_read_and_the_listing_are_asked_at_once_and_the_read_answers() -> None:
    fake = ListingBroker()
    # the listing waits for the read to have started: both are in flight together
    assert await read_when_connected(broker(fake), "acc_1", answer("quote", release=fake.release)) == "quote"
    assert fake.listed


async def test_a_disconnected_account_wins_over_the_reads_answer_or_error() -> None:
    for error in (None, RuntimeError("the quote failed")):
        fake = ListingBroker(status="disconnected")
        with pytest.raises(AccountDisconnected, match="acc_1 \\(login 7\\) at B is disconnected"):
            await read_when_connected(broker(fake), None, answer("quote", release=fake.release, error=error))


async def test_the_listings_error_wins_then_the_reads_error() -> None:
    fake = ListingBroker(error=LookupError("no list"))
    with pytest.raises(LookupError, match="no list"):
        await read_when_connected(broker(fake), "acc_1", answer("x", release=fake.release, error=KeyError("read")))
    fake = ListingBroker()
    with pytest.raises(KeyError, match="read"):
        await read_when_connected(broker(fake), "acc_1", answer("x", release=fake.release, error=KeyError("read")))
    assert fake.listed  # the listing was finished before the read's error was raised


async def test_an_account_the_listing_does_not_hold_is_left_to_the_read() -> None:
    fake = ListingBroker(status="disconnected")
    assert await read_when_connected(broker(fake), "acc_9", answer("quote", release=fake.release)) == "quote"
