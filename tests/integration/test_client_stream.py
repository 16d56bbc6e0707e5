"""FxSocketStream against the real simulator: subscriptions, typed events, reconnects and clean close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.errors import UnauthorizedError
from fxbot.fxsocket.events import (
    AccountUpdateEvent,
    OrderEvent,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamEvent,
    SubscriptionEvent,
)
from fxbot.fxsocket.models import OrderRequest, OrderType
from fxbot.fxsocket.stream import FxSocketStream
from fxbot.simulator.runner import RunningSimulator

WAIT_S = 30.0  # real seconds for an event that must come; only a hang reaches it


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def stream_for(sim: RunningSimulator, scope: str = "read-only") -> FxSocketStream:
    return FxSocketStream(url=sim.stream_url, api_key=sim.keys[scope], reconnect_min_s=0.05,
                          reconnect_max_s=0.5)


async def next_event(stream: FxSocketStream, match: Callable[[StreamEvent], bool],
                     seen: list[StreamEvent] | None = None) -> StreamEvent:
    """The next event matching `match` (others are appended to `seen`), within WAIT_S."""
    async with asyncio.timeout(WAIT_S):
        async for event in stream:
            if match(event):
                return event
            if seen is not None:
                seen.append(event)
    raise AssertionError("the stream ended before the expected event")


def is_quote(symbol: str) -> Callable[[StreamEvent], bool]:
    return lambda e: isinstance(e, QuoteEvent) and e.quote.symbol == symbol


async def test_quotes_arrive_only_for_subscribed_symbols(sim: RunningSimulator) -> None:
    async with stream_for(sim) as stream:
        await stream.subscribe_quotes(["EURUSD", "xauusd"])  # before connecting: remembered
        first = await next_event(stream, lambda e: True)
        assert isinstance(first, StreamConnected) and not first.reconnected and first.disconnected_at is None
        symbols: set[str] = set()
        async with asyncio.timeout(WAIT_S):
            async for event in stream:
                if isinstance(event, QuoteEvent):
                    assert event.quote.time.tzinfo is not None and event.quote.bid > 0
                    symbols.add(event.quote.symbol)
                    if symbols == {"EURUSD", "XAUUSD"}:
                        break
        assert symbols == {"EURUSD", "XAUUSD"}
        await stream.unsubscribe_quotes(["EURUSD"])
        ack = await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and not e.subscribed)
        assert isinstance(ack, SubscriptionEvent) and ack.channel == "quotes"
        after: list[str] = []
        async with asyncio.timeout(WAIT_S):
            async for event in stream:
                if isinstance(event, QuoteEvent):
                    after.append(event.quote.symbol)
                    if len(after) >= 10:
                        break
        assert set(after) == {"XAUUSD"}


async def test_order_and_account_events_follow_rest_calls(sim_paused: RunningSimulator,
                                                          http: httpx.AsyncClient) -> None:
    client = FxSocketClient(http, api_key=sim_paused.keys["trade"], base_url=sim_paused.base_url)
    async with stream_for(sim_paused) as stream:
        assert isinstance(await next_event(stream, lambda e: True), StreamConnected)
        await stream.subscribe_orders()  # after connecting: sent right away
        await stream.subscribe_account()
        await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and e.channel == "account")
        result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1))
        opened = await next_event(stream, lambda e: isinstance(e, OrderEvent) and e.kind == "order_opened")
        assert isinstance(opened, OrderEvent)
        assert opened.data.id == result.id and opened.data.symbol == "EURUSD"
        assert opened.data.type is OrderType.BUY and opened.data.volume == 0.1
        update = await next_event(stream, lambda e: isinstance(e, AccountUpdateEvent))
        assert isinstance(update, AccountUpdateEvent)
        account = await client.get_account()
        assert update.account_id == account.id and update.account.margin > 0
        await client.close_order(result.id)
        closed = await next_event(stream, lambda e: isinstance(e, OrderEvent) and e.kind == "order_closed")
        assert isinstance(closed, OrderEvent) and closed.data.profit is not None
        assert closed.data.position_id == result.position_id


async def test_orders_of_a_selected_account_only(sim_paused: RunningSimulator,
                                                 http: httpx.AsyncClient) -> None:
    client = FxSocketClient(http, api_key=sim_paused.keys["trade"], base_url=sim_paused.base_url)
    first, second = (a.id for a in (await client.list_accounts())[:2])
    async with stream_for(sim_paused) as stream:
        await stream.subscribe_orders(account_id=second)
        await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and e.channel == "orders")
        await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.01),
                                 account_id=first)
        mine = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.01),
                                        account_id=second)
        event = await next_event(stream, lambda e: isinstance(e, OrderEvent))
        assert isinstance(event, OrderEvent) and event.data.id == mine.id and event.account_id == second


async def test_reconnects_and_resubscribes_after_drop(sim: RunningSimulator, http: httpx.AsyncClient) -> None:
    async with stream_for(sim) as stream:
        await stream.subscribe_quotes(["EURUSD"])
        await next_event(stream, is_quote("EURUSD"))
        response = await http.post(f"{sim.base_url}/_sim/faults", json={"drop_streams": True})
        assert response.status_code == 200
        lost = await next_event(stream, lambda e: isinstance(e, StreamDisconnected))
        back = await next_event(stream, lambda e: isinstance(e, StreamConnected))
        assert isinstance(lost, StreamDisconnected) and isinstance(back, StreamConnected)
        assert back.reconnected and back.disconnected_at == lost.at and back.connected_at >= lost.at
        others: list[StreamEvent] = []
        await next_event(stream, is_quote("EURUSD"), others)  # quotes flow again: re-subscribed
        assert not any(isinstance(e, StreamDisconnected) for e in others)


async def test_close_ends_the_iterator(sim: RunningSimulator) -> None:
    stream = stream_for(sim)
    await stream.subscribe_quotes(["EURUSD"])
    await next_event(stream, is_quote("EURUSD"))
    count = 0
    iterating = asyncio.Event()

    async def consume() -> int:
        nonlocal count
        async for _ in stream:
            count += 1
            iterating.set()
        return count

    consumer = asyncio.create_task(consume())
    await asyncio.wait_for(iterating.wait(), WAIT_S)  # close while a consumer is inside the iterator
    await stream.close()
    async with asyncio.timeout(WAIT_S):
        await consumer
    assert not stream.connected
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_bad_key_raises_unauthorized_instead_of_retrying(sim: RunningSimulator) -> None:
    stream = FxSocketStream(url=sim.stream_url, api_key="sk_test_wrong", reconnect_min_s=0.01)
    with pytest.raises(UnauthorizedError) as info:
        await next_event(stream, lambda e: True)
    assert "sk_test_wrong" not in str(info.value)
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_revoked_key_ends_the_stream_with_unauthorized(sim: RunningSimulator,
                                                             http: httpx.AsyncClient) -> None:
    async with stream_for(sim) as stream:
        await stream.subscribe_quotes(["EURUSD"])
        await next_event(stream, is_quote("EURUSD"))
        response = await http.post(f"{sim.base_url}/_sim/keys", json={"revoke": sim.keys["read-only"]})
        assert response.status_code == 200
        with pytest.raises(UnauthorizedError):
            await next_event(stream, lambda e: False)
