"""The SDK backend's stream against the simulator's SDK face, through port events only: per-account sockets and
quotes, order events derived from deals and snapshots, and what a bot needs beyond the SDK's own iterator
(dropped or unreadable frames as gaps, a terminal losing its broker, reconnects, refusals)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect as websockets_connect

from fxbot.backends.sdk import SdkBackend
from fxbot.backends.sdk_broker import SdkBroker
from fxbot.domain.broker import (
    AccountOutsideKeyError,
    BrokerStream,
    LostChannel,
    OrderChanges,
    OrderEvent,
    OrderRequest,
    OrderType,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamErrorEvent,
    StreamEvent,
    StreamSettings,
    SubscriptionEvent,
)
from fxbot.simulator.runner import RunningSimulator
from tests.integration.sdk_harness import MT4, MT5, control, sdk_simulator, set_quote

WAIT_S = 10.0
FAST = StreamSettings(reconnect_min_s=0.05, reconnect_max_s=0.5)
SELECTED_KEY = "fxs_ro_selectedOnlyMt5Key0000000000"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with sdk_simulator(symbol_suffix=".sd", account_update_interval_ms=50) as running:
        await set_quote(running, "EURUSD", 1.10000, 1.10002)
        yield running


@pytest.fixture
async def backend(sim: RunningSimulator) -> AsyncIterator[SdkBackend]:
    made = SdkBackend(management_url=sim.sdk_url)
    yield made
    await made.aclose()


@pytest.fixture
def trader(backend: SdkBackend, sim: RunningSimulator) -> SdkBroker:
    return backend.client(sim.sdk_keys["full"])


async def next_event(stream: BrokerStream, match: Callable[[StreamEvent], bool],
                     seen: list[StreamEvent] | None = None) -> StreamEvent:
    """The next event matching `match` (the others go to `seen`), within WAIT_S."""
    async with asyncio.timeout(WAIT_S):
        async for event in stream:
            if match(event):
                return event
            if seen is not None:
                seen.append(event)
    raise AssertionError("the stream ended before the expected event")


def order(kind: str) -> Callable[[StreamEvent], bool]:
    return lambda e: isinstance(e, OrderEvent) and e.kind == kind


async def started(stream: BrokerStream) -> None:
    """Wait until the orders channel is acknowledged (the positions baseline is in)."""
    await next_event(stream, lambda e: isinstance(e, SubscriptionEvent) and e.channel == "orders")


async def test_quotes_are_per_account_and_carry_canonical_symbols(backend: SdkBackend, sim: RunningSimulator) -> None:
    async with backend.stream(sim.sdk_keys["read-only"], FAST) as stream:
        await stream.subscribe_quotes(["eurusd"], account_id=MT5)
        await stream.subscribe_quotes(["EURUSD"], account_id=MT4)
        # both sockets connected and both quote subscriptions acknowledged before the price moves (a tick set
        # before an account's subscription is in would never reach that account's socket)
        events: list[StreamEvent] = []
        while (sum(isinstance(e, StreamConnected) for e in events) < 2
               or sum(isinstance(e, SubscriptionEvent) and e.channel == "quotes" for e in events) < 2):
            events.append(await next_event(stream, lambda e: True))
        assert all(not e.reconnected for e in events if isinstance(e, StreamConnected))
        await set_quote(sim, "EURUSD", 1.1001, 1.10012)
        accounts: set[str | None] = set()
        while accounts != {MT5, MT4}:
            quote = await next_event(stream, lambda e: isinstance(e, QuoteEvent) and e.quote.bid == 1.1001)
            assert isinstance(quote, QuoteEvent) and quote.quote.symbol == "EURUSD" and quote.quote.spread == 0.2
            accounts.add(quote.account_id)
        await stream.subscribe_quotes(["EURUSX"], account_id=MT5)
        refused = await next_event(stream, lambda e: isinstance(e, StreamErrorEvent))
        assert isinstance(refused, StreamErrorEvent) and refused.error == "invalid_symbol"
        assert "did you mean EURUSD" in refused.message


async def test_a_market_order_from_open_to_stop_loss(trader: SdkBroker, backend: SdkBackend,
                                                    sim: RunningSimulator) -> None:
    async with backend.stream(sim.sdk_keys["read-only"], FAST) as stream:
        await stream.subscribe_orders()
        await started(stream)
        placed = await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=1.09))
        opened = await next_event(stream, order("order_opened"))
        assert isinstance(opened, OrderEvent) and opened.account_id == MT5
        assert (opened.data.id, opened.data.position_id, opened.data.status) == (placed.id, placed.id, "filled")
        assert (opened.data.symbol, opened.data.sl, opened.data.tp, opened.data.price) == (
            "EURUSD", 1.09, None, 1.10002)
        await trader.modify_order(placed.id, OrderChanges(tp=1.12))
        modified = await next_event(stream, order("order_modified"))
        assert isinstance(modified, OrderEvent) and (modified.data.sl, modified.data.tp) == (1.09, 1.12)
        await trader.close_order(placed.id, volume=0.04)
        partial = await next_event(stream, order("order_closed"))
        assert isinstance(partial, OrderEvent) and partial.data.remaining == pytest.approx(0.06)
        assert partial.data.reason == "manual" and partial.data.volume == 0.04
        await set_quote(sim, "EURUSD", 1.0899, 1.08992)  # through the stop loss
        hit = await next_event(stream, order("order_closed"))
        assert isinstance(hit, OrderEvent) and hit.data.reason == "sl" and hit.data.remaining == 0.0
        assert hit.data.close_price == 1.0899 and hit.data.profit is not None and hit.data.profit < 0
        assert hit.data.commission is not None and hit.data.commission < 0 and hit.data.position_id == placed.id


async def test_pending_orders_placed_filled_and_cancelled(trader: SdkBroker, backend: SdkBackend,
                                                         sim: RunningSimulator) -> None:
    async with backend.stream(sim.sdk_keys["read-only"], FAST) as stream:
        await stream.subscribe_orders(account_id=MT4)
        await started(stream)
        limit = await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.1,
                                                      price=1.095), account_id=MT4)
        placed = await next_event(stream, order("order_opened"))
        assert isinstance(placed, OrderEvent) and placed.account_id == MT4
        assert (placed.data.id, placed.data.status, placed.data.type, placed.data.price) == (
            limit.id, "pending", OrderType.BUY_LIMIT, 1.095)
        stop = await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.SELL_STOP, volume=0.1,
                                                     price=1.08), account_id=MT4)
        await next_event(stream, order("order_opened"))
        await set_quote(sim, "EURUSD", 1.0949, 1.09492)  # the buy limit triggers
        filled = await next_event(stream, order("order_filled"))
        assert isinstance(filled, OrderEvent) and filled.data.id == limit.id and filled.data.position_id == limit.id
        assert filled.data.type is OrderType.BUY_LIMIT and filled.data.status == "filled"
        await trader.close_order(stop.id, account_id=MT4)
        cancelled = await next_event(stream, order("order_cancelled"))
        assert isinstance(cancelled, OrderEvent) and cancelled.data.id == stop.id


async def test_a_stop_limit_order_becoming_a_limit_order_is_a_modification(trader: SdkBroker, backend: SdkBackend,
                                                                           sim: RunningSimulator) -> None:
    async with backend.stream(sim.sdk_keys["read-only"], FAST) as stream:
        await stream.subscribe_orders()
        await started(stream)
        placed = await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_STOP_LIMIT, volume=0.1,
                                                       price=1.1010, stop_limit_price=1.1005))
        pending = await next_event(stream, order("order_opened"))
        assert isinstance(pending, OrderEvent) and pending.data.type is OrderType.BUY_STOP_LIMIT
        await set_quote(sim, "EURUSD", 1.1010, 1.10102)  # the stop trades: a buy limit at 1.1005 is placed
        became = await next_event(stream, order("order_modified"))
        assert isinstance(became, OrderEvent) and became.data.id == placed.id
        assert (became.data.type, became.data.price) == (OrderType.BUY_LIMIT, 1.1005)


async def test_dropped_and_unreadable_frames_are_gaps(backend: SdkBackend, sim: RunningSimulator) -> None:
    async with backend.stream(sim.sdk_keys["read-only"], FAST) as stream:
        await stream.subscribe_orders()
        await started(stream)
        await control(sim, "sdk/stream", {"warning": 3})
        lost = await next_event(stream, lambda e: isinstance(e, StreamDisconnected))
        back = await next_event(stream, lambda e: True)
        assert isinstance(lost, StreamDisconnected) and "dropped 3 frames" in lost.reason
        assert isinstance(back, StreamConnected) and back.reconnected and back.disconnected_at == lost.at
        assert lost.at <= back.connected_at
        await control(sim, "sdk/stream", {"malformed": True})  # a tick the SDK's models refuse
        unreadable = await next_event(stream, lambda e: isinstance(e, StreamDisconnected))
        assert isinstance(unreadable, StreamDisconnected) and "unreadable tick frame" in unreadable.reason
        assert isinstance(await next_event(stream, lambda e: True), StreamConnected)
        await control(sim, "sdk/stream", {"silence_s": 0.2})  # frames dropped meanwhile, told by a warning
        assert isinstance(await next_event(stream, lambda e: isinstance(e, StreamDisconnected)), StreamDisconnected)


class Rewriter:
    """A connect function whose connections rewrite the first received frame of one type (a test seam)."""

    def __init__(self, frame_type: str, rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.frame_type = frame_type
        self.rewrite = rewrite
        self.done = False

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        return _Rewriting(await websockets_connect(*args, **kwargs), self)


class _Rewriting:
    def __init__(self, inner: Any, owner: Rewriter) -> None:
        self._inner = inner
        self._owner = owner

    @property
    def last_activity(self) -> float:
        return float(getattr(self._inner, "last_activity", 0.0))

    async def recv(self) -> str | bytes:
        frame = await self._inner.recv()
        owner = self._owner
        if not owner.done and isinstance(frame, str):
            message = json.loads(frame)
            if message.get("type") == owner.frame_type:
                owner.done = True
                return json.dumps(owner.rewrite(message))
        return frame  # type: ignore[no-any-return]

    async def send(self, message: str) -> None:
        await self._inner.send(message)

    async def close(self) -> None:
        await self._inner.close()


async def test_an_unreadable_trade_is_reported_as_lost_orders_not_a_gap(trader: SdkBroker,
                                                                       sim: RunningSimulator) -> None:
    lost: list[LostChannel] = []
    rewriter = Rewriter("trade", lambda m: {**m, "data": {k: v for k, v in m["data"].items() if k != "deal"}})
    backend = SdkBackend(management_url=sim.sdk_url, connect=rewriter.connect)
    settings = StreamSettings(reconnect_min_s=0.05, reconnect_max_s=0.5, on_events_lost=lost.append)
    seen: list[StreamEvent] = []
    async with backend.stream(sim.sdk_keys["read-only"], settings) as stream:
        await stream.subscribe_orders()
        await started(stream)
        placed = await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1))
        opened = await next_event(stream, order("order_opened"), seen)  # the snapshot still tells it
        assert isinstance(opened, OrderEvent) and opened.data.id == placed.id
        assert rewriter.done and lost == ["orders"]
        assert not any(isinstance(e, StreamDisconnected | StreamConnected) for e in seen)
    await backend.aclose()


async def test_a_terminal_losing_its_broker_says_so_and_its_return_is_a_gap(backend: SdkBackend,
                                                                           sim: RunningSimulator) -> None:
    async with backend.stream(sim.sdk_keys["read-only"], FAST) as stream:
        await stream.subscribe_orders()
        await started(stream)
        await control(sim, "faults", {"account_status": {MT5: "disconnected"}})
        said = await next_event(stream, lambda e: isinstance(e, StreamErrorEvent))
        assert isinstance(said, StreamErrorEvent) and said.error == "terminal_disconnected" and MT5 in said.message
        await control(sim, "faults", {"account_status": {MT5: "connected"}})
        lost = await next_event(stream, lambda e: isinstance(e, StreamDisconnected))
        back = await next_event(stream, lambda e: isinstance(e, StreamConnected))
        assert isinstance(lost, StreamDisconnected) and isinstance(back, StreamConnected) and back.reconnected
        assert back.disconnected_at == lost.at


async def test_an_account_outside_a_selected_key_is_refused_by_name(backend: SdkBackend, sim: RunningSimulator) -> None:
    await control(sim, "keys", {"add": {"key": SELECTED_KEY, "scope": "read-only", "accounts": [MT5]}})
    async with backend.stream(SELECTED_KEY, FAST) as stream:
        with pytest.raises(AccountOutsideKeyError):
            await stream.subscribe_orders(account_id=MT4)
        await stream.subscribe_orders(account_id=MT5)
        await started(stream)


async def test_iterating_before_subscribing_connects_the_first_account_and_close_ends_it(
        backend: SdkBackend, sim: RunningSimulator) -> None:
    stream = backend.stream(sim.sdk_keys["read-only"], FAST)
    first = await next_event(stream, lambda e: True)
    assert isinstance(first, StreamConnected) and not first.reconnected
    await stream.close()
    async with asyncio.timeout(WAIT_S):
        assert [e async for e in stream] == []
    assert "keys=0" in repr(backend)
