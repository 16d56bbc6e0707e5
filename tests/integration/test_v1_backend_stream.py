"""The `/v1` backend's stream against the real simulator, seen only through the broker port's events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from fxbot.backends.v1 import V1Backend
from fxbot.domain.broker import (
    Account,
    AccountUpdateEvent,
    BrokerBackends,
    BrokerStream,
    KeyRefusedError,
    OrderEvent,
    OrderEventData,
    OrderRequest,
    OrderType,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamEvent,
    StreamSettings,
    SubscriptionEvent,
)
from fxbot.simulator.runner import RunningSimulator

WAIT_S = 5.0
FAST = StreamSettings(reconnect_min_s=0.05, reconnect_max_s=0.5)


def registry(sim: RunningSimulator) -> BrokerBackends:
    return BrokerBackends([V1Backend(http=httpx.AsyncClient(), base_url=sim.base_url, stream_url=sim.stream_url)])


@pytest.fixture
async def backends(sim: RunningSimulator) -> AsyncIterator[BrokerBackends]:
    made = registry(sim)
    yield made
    await made.aclose()


@pytest.fixture
async def paused_backends(sim_paused: RunningSimulator) -> AsyncIterator[BrokerBackends]:
    made = registry(sim_paused)
    yield made
    await made.aclose()


async def next_event(stream: BrokerStream, match: Callable[[StreamEvent], bool],
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


async def test_connected_then_quotes(sim: RunningSimulator, backends: BrokerBackends) -> None:
    async with backends.stream(sim.keys["read-only"], FAST) as stream:
        await stream.subscribe_quotes(["EURUSD"])  # before connecting: remembered
        first = await next_event(stream, lambda e: True)
        assert isinstance(first, StreamConnected) and not first.reconnected and first.disconnected_at is None
        event = await next_event(stream, is_quote("EURUSD"))
        assert isinstance(event, QuoteEvent) and event.quote.bid > 0 and event.quote.time.tzinfo is not None
        assert event.account_id is None  # /v1 prices serve every account of the key
        await stream.unsubscribe_quotes(["EURUSD"])
        ack = await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and not e.subscribed)
        assert isinstance(ack, SubscriptionEvent) and ack.channel == "quotes"


async def test_order_and_account_events(sim_paused: RunningSimulator, paused_backends: BrokerBackends) -> None:
    client = paused_backends.client(sim_paused.keys["trade"])
    async with paused_backends.stream(sim_paused.keys["read-only"], FAST) as stream:
        assert isinstance(await next_event(stream, lambda e: True), StreamConnected)
        await stream.subscribe_orders()
        await stream.subscribe_account()
        await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and e.channel == "account")
        result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1))
        opened = await next_event(stream, lambda e: isinstance(e, OrderEvent) and e.kind == "order_opened")
        assert isinstance(opened, OrderEvent) and isinstance(opened.data, OrderEventData)
        assert opened.data.id == result.id and opened.data.symbol == "EURUSD"
        assert opened.data.type is OrderType.BUY and opened.data.volume == 0.1
        update = await next_event(stream, lambda e: isinstance(e, AccountUpdateEvent))
        assert isinstance(update, AccountUpdateEvent) and isinstance(update.account, Account)
        assert update.account_id == (await client.get_account()).id and update.account.margin > 0
        await client.close_order(result.id)
        closed = await next_event(stream, lambda e: isinstance(e, OrderEvent) and e.kind == "order_closed")
        assert isinstance(closed, OrderEvent) and closed.data.profit is not None
        assert closed.data.position_id == result.position_id


async def test_reconnects_with_a_gap_event(sim: RunningSimulator, backends: BrokerBackends) -> None:
    async with backends.stream(sim.keys["read-only"], FAST) as stream, httpx.AsyncClient() as http:
        await stream.subscribe_quotes(["EURUSD"])
        await next_event(stream, is_quote("EURUSD"))
        response = await http.post(f"{sim.base_url}/_sim/faults", json={"drop_streams": True})
        assert response.status_code == 200
        lost = await next_event(stream, lambda e: isinstance(e, StreamDisconnected))
        back = await next_event(stream, lambda e: isinstance(e, StreamConnected))
        assert isinstance(lost, StreamDisconnected) and isinstance(back, StreamConnected)
        assert back.reconnected and back.disconnected_at == lost.at
        await next_event(stream, is_quote("EURUSD"))  # re-subscribed on its own


async def test_a_refused_key_ends_the_stream_with_a_port_error(sim: RunningSimulator,
                                                               backends: BrokerBackends) -> None:
    stream = backends.stream("sk_test_wrong", FAST)
    with pytest.raises(KeyRefusedError) as info:
        await next_event(stream, lambda e: True)
    assert "sk_test_wrong" not in str(info.value) and info.value.status == 401
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
