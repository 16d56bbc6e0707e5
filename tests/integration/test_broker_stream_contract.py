"""The BrokerStream contract, once per backend (`/v1`, SDK), against the same running simulator, through port events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import httpx
import pytest

from fxbot.backends.sdk import SdkBackend
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
from tests.integration.sdk_harness import control, sdk_simulator, set_quote

WAIT_S = 10.0
FAST = StreamSettings(reconnect_min_s=0.05, reconnect_max_s=0.5)


@dataclass
class StreamContract:
    name: str
    sim: RunningSimulator
    backends: BrokerBackends
    trader_key: str
    reader_key: str
    unknown_key: str

    def stream(self, key: str | None = None) -> BrokerStream:
        return self.backends.stream(key or self.reader_key, FAST)


@pytest.fixture(params=["v1", "sdk"])
async def contract(request: pytest.FixtureRequest) -> AsyncIterator[StreamContract]:
    async with sdk_simulator(account_update_interval_ms=50) as sim:
        await set_quote(sim, "EURUSD", 1.1, 1.10002)
        if request.param == "v1":
            backends = BrokerBackends([V1Backend(http=httpx.AsyncClient(), base_url=sim.base_url,
                                                 stream_url=sim.stream_url)])
            made = StreamContract("v1", sim, backends, sim.keys["trade"], sim.keys["read-only"], "sk_test_wrong")
        else:
            backends = BrokerBackends([SdkBackend(management_url=sim.sdk_url)])
            made = StreamContract("sdk", sim, backends, sim.sdk_keys["full"], sim.sdk_keys["read-only"],
                                  "fxs_ro_wrongKey00000000000")
        try:
            yield made
        finally:
            await backends.aclose()


async def next_event(stream: BrokerStream, match: Callable[[StreamEvent], bool]) -> StreamEvent:
    """The next event matching `match` (others are skipped), within WAIT_S."""
    async with asyncio.timeout(WAIT_S):
        async for event in stream:
            if match(event):
                return event
    raise AssertionError("the stream ended before the expected event")


def is_quote(symbol: str) -> Callable[[StreamEvent], bool]:
    return lambda e: isinstance(e, QuoteEvent) and e.quote.symbol == symbol


def is_order(kind: str) -> Callable[[StreamEvent], bool]:
    return lambda e: isinstance(e, OrderEvent) and e.kind == kind


async def test_connected_then_quotes(contract: StreamContract) -> None:
    async with contract.stream() as stream:
        await stream.subscribe_quotes(["EURUSD"])  # before connecting: remembered
        first = await next_event(stream, lambda e: True)
        assert isinstance(first, StreamConnected) and not first.reconnected and first.disconnected_at is None
        ack = await next_event(stream, lambda e: isinstance(e, SubscriptionEvent))
        assert isinstance(ack, SubscriptionEvent) and ack.subscribed and ack.channel == "quotes"
        assert ack.symbols is not None and "EURUSD" in ack.symbols
        await set_quote(contract.sim, "EURUSD", 1.1001, 1.10012)
        event = await next_event(stream, lambda e: isinstance(e, QuoteEvent) and e.quote.bid == 1.1001)
        assert isinstance(event, QuoteEvent) and event.quote.time.tzinfo is not None
        await stream.unsubscribe_quotes(["EURUSD"])
        gone = await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and not e.subscribed)
        assert isinstance(gone, SubscriptionEvent) and gone.channel == "quotes"


async def test_order_and_account_events(contract: StreamContract) -> None:
    client = contract.backends.client(contract.trader_key)
    async with contract.stream() as stream:
        assert isinstance(await next_event(stream, lambda e: True), StreamConnected)
        await stream.subscribe_orders()
        await stream.subscribe_account()
        await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and e.channel == "account")
        result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, tp=1.2))
        opened = await next_event(stream, is_order("order_opened"))
        assert isinstance(opened, OrderEvent) and isinstance(opened.data, OrderEventData)
        assert opened.data.id == result.id and opened.data.symbol == "EURUSD" and opened.data.status == "filled"
        assert opened.data.type is OrderType.BUY and opened.data.volume == 0.1 and opened.data.tp == 1.2
        assert opened.data.position_id == result.position_id
        update = await next_event(stream, lambda e: isinstance(e, AccountUpdateEvent) and e.account.margin > 0)
        assert isinstance(update, AccountUpdateEvent) and isinstance(update.account, Account)
        assert update.account_id == (await client.get_account()).id
        await client.close_order(result.id)
        closed = await next_event(stream, is_order("order_closed"))
        assert isinstance(closed, OrderEvent) and closed.data.profit is not None
        assert closed.data.position_id == result.position_id and closed.data.reason == "manual"


async def test_reconnects_with_a_gap_event(contract: StreamContract) -> None:
    async with contract.stream() as stream:
        await stream.subscribe_quotes(["EURUSD"])
        await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and e.channel == "quotes")
        await control(contract.sim, "faults", {"drop_streams": True})
        lost = await next_event(stream, lambda e: isinstance(e, StreamDisconnected))
        back = await next_event(stream, lambda e: isinstance(e, StreamConnected))
        assert isinstance(lost, StreamDisconnected) and isinstance(back, StreamConnected)
        assert back.reconnected and back.disconnected_at == lost.at
        await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and e.channel == "quotes")
        await set_quote(contract.sim, "EURUSD", 1.1003, 1.10032)
        await next_event(stream, is_quote("EURUSD"))  # re-subscribed on its own


async def test_a_refused_key_ends_the_stream_with_a_port_error(contract: StreamContract) -> None:
    stream = contract.stream(contract.unknown_key)
    with pytest.raises(KeyRefusedError):
        await next_event(stream, lambda e: True)
    await stream.close()
