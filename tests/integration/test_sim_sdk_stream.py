"""The SDK face's per-account WebSocket, read through the official SDK's AsyncStream (its `parse_event` per frame)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pydantic
import pytest
from fxsocket.terminal.stream import (
    AccountUpdate,
    Bar,
    PositionsUpdate,
    StreamErrorEvent,
    StreamWarning,
    Subscribed,
    Subscriptions,
    TerminalUpdate,
    Tick,
    TradeUpdate,
    Unsubscribed,
)
from websockets.exceptions import InvalidStatus

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sdk_harness import (
    MT4,
    account,
    client,
    control,
    events_until,
    next_of,
    sdk_simulator,
    set_quote,
)


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with sdk_simulator(symbol_suffix=".sd") as running:
        await set_quote(running, "EURUSD", 1.1, 1.1002)
        yield running


async def test_ticks_trades_positions_and_account_frames(sim: RunningSimulator) -> None:
    async with client(sim) as fx:
        acc = await account(fx)
        term = fx.terminal(acc)
        async with fx.stream(acc, auto_reconnect=False) as stream:
            await stream.subscribe_prices("EURUSD.sd")
            first = await next_of(stream, Tick)  # the current quote comes at once
            assert (first.symbol, first.data.bid, first.data.ask) == ("EURUSD.sd", 1.1, 1.1002)
            for topic in ("trades", "positions", "account"):
                await stream.subscribe(topic)
                acked = await next_of(stream, Subscribed)
                assert acked.topic == topic
            await set_quote(sim, "EURUSD", 1.1005, 1.1007)
            tick = await next_of(stream, Tick)
            assert tick.data.bid == 1.1005 and tick.data.time.endswith("Z")
            sent = await term.order_send(symbol="EURUSD.sd", operation="Sell", volume=0.2, magic=9)
            opened = await next_of(stream, TradeUpdate)
            assert (opened.data.entry, opened.data.type, opened.data.volume, opened.data.price) == (
                "In", "Sell", 0.2, 1.1005)  # fmt: skip
            assert (opened.data.deal, opened.data.order, opened.data.position) == (sent.deal, sent.order, sent.order)
            assert opened.data.magic == 9 and opened.data.commission == -0.7 and not opened.data.degraded
            snapshot = await next_of(stream, PositionsUpdate, lambda e: bool(e.data))
            assert [(row.ticket, row.kind, row.lots) for row in snapshot.data] == [(sent.order, "Position", 0.2)]
            summary = await next_of(stream, AccountUpdate, lambda e: e.data.margin > 0)
            assert summary.data.currency == "USD" and summary.data.balance == 10_000.0
            await term.order_close(sent.order, volume=0.05)
            partial = await next_of(stream, TradeUpdate)
            assert (partial.data.entry, partial.data.type, partial.data.position) == ("Out", "Buy", sent.order)
            assert partial.data.net_profit == pytest.approx(partial.data.profit - 0.18, abs=0.011)
            rest = await next_of(stream, PositionsUpdate)
            assert rest.data[0].lots == 0.15


async def test_subscription_protocol(sim: RunningSimulator) -> None:
    async with client(sim, "read-only") as fx, fx.stream(await account(fx, MT4), auto_reconnect=False) as stream:
        await stream.subscribe_terminal()
        await next_of(stream, Subscribed)
        beat = await next_of(stream, TerminalUpdate)
        assert beat.data.connected and beat.data.trade_allowed and beat.data.server_time.endswith("Z")
        await next_of(stream, TerminalUpdate)  # and again, about once per heartbeat interval
        await stream.subscribe_terminal()
        again = await next_of(stream, Subscribed)
        assert "already subscribed" in again.message
        await stream.subscribe_prices("EURUSD")  # not this broker's name
        refused = await next_of(stream, StreamErrorEvent)
        assert refused.topic == "prices" and "unknown symbol" in refused.message
        await stream.subscribe_bars("GBPUSD.sd", "D1")
        bar = await next_of(stream, Bar)
        assert bar.timeframe == "D1" and bar.data.time.endswith("T00:00:00.000Z")
        await stream.list_subscriptions()
        listed = await next_of(stream, Subscriptions)
        assert {"topic": "bars", "symbol": "GBPUSD.sd", "timeframe": "D1"} in listed.data
        await stream.unsubscribe_terminal()
        await next_of(stream, Unsubscribed)
        await control(sim, "faults", {"account_status": {MT4: "disconnected"}})
        await stream.subscribe_terminal()
        down = await next_of(stream, TerminalUpdate)  # an open socket stays; the terminal says it is down
        assert not down.data.connected and not down.data.trade_allowed


async def test_orders_of_either_face_reach_the_other(sim: RunningSimulator) -> None:
    async with client(sim) as fx:
        acc = await account(fx)
        async with fx.stream(acc, auto_reconnect=False) as stream, httpx.AsyncClient(base_url=sim.base_url) as http:
            await stream.subscribe_trades()
            await next_of(stream, Subscribed)
            v1 = {"Authorization": f"Bearer {sim.keys['trade']}"}
            placed = (await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1},
                                      headers=v1)).json()  # fmt: skip
            deal = (await next_of(stream, TradeUpdate)).data
            assert (deal.entry, deal.symbol, deal.volume, deal.price) == ("In", "EURUSD.sd", 0.1, placed["price"])
            closed = await fx.terminal(acc).order_close(deal.position)
            assert closed.success
            assert (await http.get("/v1/positions", headers=v1)).json() == []
            [trade] = (await http.get("/v1/history", headers=v1)).json()["trades"]
            assert trade["close_price"] == closed.price and trade["position_id"] == placed["position_id"]


async def test_stream_faults_warning_silence_and_a_malformed_frame(sim: RunningSimulator) -> None:
    async with client(sim) as fx, fx.stream(await account(fx), auto_reconnect=False) as stream:
        await stream.subscribe_prices("EURUSD.sd")
        await next_of(stream, Tick)
        assert (await control(sim, "sdk/stream", {"warning": 7}))["connections"] == 1
        assert (await next_of(stream, StreamWarning)).dropped == 7
        await control(sim, "sdk/stream", {"silence_s": 3600})
        await set_quote(sim, "EURUSD", 1.1003, 1.1005)  # dropped and counted while silent
        await control(sim, "sdk/stream", {"silence_s": 0})
        await set_quote(sim, "EURUSD", 1.1004, 1.1006)
        seen = await events_until(stream, lambda e: isinstance(e, Tick))
        last = seen[-1]
        assert isinstance(seen[0], StreamWarning) and seen[0].dropped >= 1
        assert isinstance(last, Tick) and last.data.bid == 1.1004
        await control(sim, "sdk/stream", {"malformed": True})
        with pytest.raises(pydantic.ValidationError):  # the SDK's own parser refuses it: clients must survive
            await next_of(stream, Tick)


async def test_drop_reconnect_replay_and_revocation(sim: RunningSimulator) -> None:
    async with client(sim) as fx, fx.stream(await account(fx)) as stream:
        await stream.subscribe_prices("EURUSD.sd")
        await next_of(stream, Tick)
        await control(sim, "faults", {"drop_streams": True})
        replayed = await next_of(stream, Subscribed)  # the SDK reconnected and replayed its subscription
        assert replayed.topic == "prices"
        await set_quote(sim, "EURUSD", 1.1007, 1.1009)
        assert (await next_of(stream, Tick, lambda e: e.data.bid == 1.1007)).symbol == "EURUSD.sd"
        await control(sim, "keys", {"revoke": sim.sdk_keys["full"]})
        with pytest.raises(InvalidStatus) as refused:  # closed, and the reconnect's handshake is refused
            await next_of(stream, Tick, lambda e: False)
        assert refused.value.response.status_code == 401


async def test_handshake_refusals() -> None:
    async with sdk_simulator() as sim:
        selected = "fxs_ro_only_mt4"
        await control(sim, "keys", {"add": {"key": selected, "scope": "read-only", "accounts": [MT4]}})
        async with client(sim) as owner:
            mt5 = await account(owner)
        for key, status in ((sim.keys["full"], 401), (selected, 401)):
            async with client(sim, key=key) as fx:
                with pytest.raises(InvalidStatus) as refused:
                    async with fx.stream(mt5):
                        pass
                assert refused.value.response.status_code == status
        async with client(sim, key=selected) as fx, fx.stream(await account(fx, MT4), auto_reconnect=False) as ok:
            await ok.subscribe_account()
            assert (await next_of(ok, AccountUpdate)).data.currency == "EUR"
