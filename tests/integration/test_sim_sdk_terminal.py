"""The SDK face's terminal REST driven by the official `fxsocket` SDK: market data, trading, deals, broker time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import fxsocket
import httpx
import pytest
from fxsocket.models import HistoryTrade, OpenedOrder, PositionTrade

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sdk_harness import (
    MT4,
    MT5,
    ManualNow,
    account,
    client,
    control,
    manual_clock,
    sdk_simulator,
    set_quote,
)

OFFSET_H = 3


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with sdk_simulator(symbol_suffix="m", server_utc_offset_h=OFFSET_H) as running:
        yield running


@pytest.fixture
def clock(sim: RunningSimulator) -> ManualNow:
    return manual_clock(sim)


def broker_time(text: str) -> datetime:
    """A terminal timestamp (server time, cosmetic Z) as a naive server wall-clock time."""
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


def on_server(moment: datetime) -> str:
    """How the terminal writes a real moment: server time (UTC+3 here) with a cosmetic Z."""
    local = moment.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=OFFSET_H)
    return local.isoformat(timespec="milliseconds") + "Z"


async def test_market_data_uses_broker_names_and_broker_time(sim: RunningSimulator, clock: ManualNow) -> None:
    await set_quote(sim, "EURUSD", 1.1, 1.10012)
    async with client(sim, "read-only") as fx:
        term = fx.terminal(await account(fx))
        names = await term.symbols()
        assert "EURUSDm" in names and "XAUUSDm" in names and "EURUSD" not in names
        quote = await term.quote("EURUSDm")
        assert (quote.symbol, quote.bid, quote.ask, quote.last, quote.volume) == ("EURUSDm", 1.1, 1.10012, 0.0, 0)
        assert quote.time == on_server(clock.now)
        zone = await term.server_timezone()
        assert zone.utc_offset_seconds == OFFSET_H * 3600 and zone.server_time == on_server(clock.now)
        info = await term.symbol_info("EURUSDm")
        assert (info.digits, info.volume_min, info.volume_step, info.contract_size) == (5, 0.01, 0.01, 100_000.0)
        assert info.spread == 12 and info.trade_mode == "Full" and info.tick_value == 1.0
        with pytest.raises(fxsocket.NotFoundError):
            await term.quote("EURUSD")  # broker names are exact
        m5 = await term.price_history("EURUSDm", "M5")
        assert len(m5) == 500 and all(bar.real_volume == 0 for bar in m5)
        daily = await term.price_history("EURUSDm", "D1")
        assert all(broker_time(bar.time).time() == datetime.min.time() for bar in daily)  # the server's midnight
        monthly = await term.price_history("EURUSDm", "MN1")
        assert all(broker_time(bar.time).day == 1 for bar in monthly) and len(monthly) >= 12
        start = broker_time(m5[-12].time)
        window = await term.price_history("EURUSDm", "M5", start, broker_time(m5[-3].time))
        assert [bar.time for bar in window] == [bar.time for bar in m5[-12:-2]]
        margin = await term.calc_margin("EURUSDm", "Buy", 1.0, 1.10012)
        assert margin.currency == "USD" and margin.margin == pytest.approx(1100.06, abs=0.01)
        profit = await term.calc_profit("EURUSDm", "Sell", 0.5, 1.1, 1.099)
        assert profit.profit == pytest.approx(50.0)


async def test_order_modify_partial_close_and_the_deal_log(sim: RunningSimulator, clock: ManualNow) -> None:
    await set_quote(sim, "EURUSD", 1.1, 1.1002)
    async with client(sim) as fx:
        term = fx.terminal(await account(fx))
        opened_at = clock.now
        sent = await term.order_send(symbol="EURUSDm", operation="Buy", volume=0.3, magic=42, comment="bot")
        assert sent.success and sent.retcode == 10009 and sent.outcome == "applied" and sent.price == 1.1002
        ticket = sent.order
        [row] = await term.opened_orders()
        assert (row.ticket, row.kind, row.type, row.lots, row.magic, row.comment) == (
            ticket, "Position", "Buy", 0.3, 42, "bot")  # fmt: skip
        assert row.open_time == on_server(opened_at)
        assert row.stop_loss == 0.0 and row.take_profit == 0.0
        moved = await term.order_modify(ticket, stop_loss=1.09, take_profit=1.12)
        assert moved.success and moved.order == ticket
        same = await term.order_modify(ticket, stop_loss=1.09)
        assert not same.success and same.retcode == 10025 and same.is_effective
        [row] = await term.opened_orders()
        assert (row.stop_loss, row.take_profit) == (1.09, 1.12)
        cleared = await term.order_modify(ticket, clear_take_profit=True)
        assert cleared.success and (await term.opened_orders())[0].take_profit == 0.0
        clock.advance(60)
        await set_quote(sim, "EURUSD", 1.101, 1.1012)
        part = await term.order_close(ticket, volume=0.1)
        assert part.success and part.volume == 0.1 and part.price == 1.101 and part.deal
        [row] = await term.opened_orders()
        assert row.ticket == ticket and row.lots == 0.2  # a partial close keeps the ticket
        clock.advance(60)
        await set_quote(sim, "EURUSD", 1.0899, 1.0901)  # the stop-loss fires
        assert await term.opened_orders() == []
        deals = await term.order_history()
        assert [(d.entry, d.type, d.volume) for d in deals] == [("In", "Buy", 0.3), ("Out", "Sell", 0.1),
                                                                ("Out", "Sell", 0.2)]  # fmt: skip
        opening, partial, stopped = deals
        assert {d.position for d in deals} == {ticket} and opening.order == ticket
        assert len({d.ticket for d in deals}) == 3 and ticket not in {d.ticket for d in deals}
        assert part.deal == partial.ticket and opening.ticket == sent.deal
        assert opening.commission == -1.05 and partial.commission == -0.35 and opening.magic == 42
        assert partial.profit == pytest.approx(8.0) and partial.comment == ""
        assert stopped.comment == "[sl 1.09000]" and stopped.price == 1.0899
        assert [d.time for d in deals] == [on_server(opened_at + timedelta(seconds=s)) for s in (0, 60, 120)]
        since = await term.order_history(broker_time(partial.time), broker_time(stopped.time))
        assert [d.ticket for d in since] == [partial.ticket, stopped.ticket]
        in_utc = await term.order_history(opened_at + timedelta(seconds=30))  # an explicit offset is honoured
        assert [d.ticket for d in in_utc] == [partial.ticket, stopped.ticket]
        [trip] = await term.position_history()
        assert (trip.position_id, trip.volume, trip.open_price, trip.magic) == (ticket, 0.3, 1.1002, 42)
        assert trip.net_profit == pytest.approx(trip.profit + trip.swap + trip.commission)
        v1_trades = sim.state.engine.history(MT5, start=None, end=None, symbol=None, type=None, limit=10, offset=0)
        assert round(sum(t["profit"] for t in v1_trades["trades"]), 2) == round(partial.profit + stopped.profit, 2)
    headers = {"X-API-Key": sim.sdk_keys["full"]}
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/sdk/t/{MT5}", headers=headers) as http:
        for row_json in (await http.get("/OrderHistory")).json():
            HistoryTrade.model_validate(row_json)
        for row_json in (await http.get("/PositionHistory")).json():
            PositionTrade.model_validate(row_json)


async def test_broker_rejections_are_retcodes_and_malformed_requests_are_400(sim: RunningSimulator) -> None:
    await set_quote(sim, "EURUSD", 1.1, 1.1002)
    async with client(sim) as fx:
        term = fx.terminal(await account(fx))
        stops = await term.order_send(symbol="EURUSDm", operation="Buy", volume=0.1, stop_loss=1.2)
        assert (stops.success, stops.retcode, stops.outcome) == (False, 10016, "rejected") and stops.comment
        volume = await term.order_send(symbol="EURUSDm", operation="Buy", volume=0.015)
        assert volume.retcode == 10014
        money = await term.order_send(symbol="EURUSDm", operation="Buy", volume=100)
        assert money.retcode == 10019
        price = await term.order_send(symbol="EURUSDm", operation="BuyLimit", volume=0.1, price=1.2)
        assert price.retcode == 10015
        await control(sim, "market", {"closed": True})
        closed = await term.order_send(symbol="EURUSDm", operation="Buy", volume=0.1)
        assert closed.retcode == 10018 and closed.retcode_description == "Market is closed"
        await control(sim, "market", {"closed": False})
        with pytest.raises(fxsocket.ValidationError) as unknown:
            await term.order_close(123)
        assert unknown.value.status_code == 400 and "unknown ticket" in unknown.value.message
        with pytest.raises(fxsocket.ValidationError):
            await term.order_send(symbol="EURUSD", operation="Buy", volume=0.1)  # not this broker's name
    assert sim.state.engine.positions(MT5) == [] and sim.state.engine.pending_orders(MT5) == []
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/sdk/t/{MT5}",
                                 headers={"X-API-Key": sim.sdk_keys["full"]}) as http:  # fmt: skip
        typo = await http.post("/OrderSend", json={"symbol": "EURUSDm", "operation": "Buy", "volume": 0.1,
                                                   "stop_loss": 1.0})  # fmt: skip
    assert typo.status_code == 400 and typo.json()["error"] == "MRPC_VALIDATION"
    assert "stop_loss" in typo.json()["message"]


async def test_pending_and_stop_limit_orders(sim: RunningSimulator) -> None:
    await set_quote(sim, "EURUSD", 1.1, 1.1002)
    async with client(sim) as fx:
        term = fx.terminal(await account(fx))
        limit = await term.order_send(symbol="EURUSDm", operation="SellLimit", volume=0.1, price=1.105)
        assert limit.success and limit.retcode == 10008 and limit.deal == 0
        stop_limit = await term.order_send(symbol="EURUSDm", operation="BuyStopLimit", volume=0.2, price=1.102,
                                           stop_limit_price=1.101, stop_loss=1.095)  # fmt: skip
        assert stop_limit.retcode == 10008
        rows = {row.ticket: row for row in await term.opened_orders()}
        assert rows[limit.order].type == "SellLimit" and rows[limit.order].open_price == 1.105
        assert rows[stop_limit.order].type == "BuyStopLimit" and rows[stop_limit.order].kind == "Pending"
        wrong = await term.order_send(symbol="EURUSDm", operation="BuyStopLimit", volume=0.1, price=1.102,
                                      stop_limit_price=1.103)  # fmt: skip
        assert wrong.retcode == 10015
        await set_quote(sim, "EURUSD", 1.1019, 1.1021)  # the stop trades: a BuyLimit at 1.101 replaces it
        rows = {row.ticket: row for row in await term.opened_orders()}
        assert rows[stop_limit.order].type == "BuyLimit" and rows[stop_limit.order].open_price == 1.101
        assert rows[stop_limit.order].stop_loss == 1.095
        await set_quote(sim, "EURUSD", 1.1008, 1.101)  # and the limit fills: a position with the same ticket
        rows = {row.ticket: row for row in await term.opened_orders()}
        assert rows[stop_limit.order].kind == "Position" and rows[stop_limit.order].lots == 0.2
        deleted = await term.order_close(limit.order)  # deleting a pending order
        assert deleted.success
        summary = await term.close_all(delete_pending=True)
        assert (summary.requested, summary.closed, summary.failed) == (1, 1, 0)
        assert await term.opened_orders() == []
    headers = {"X-API-Key": sim.sdk_keys["full"]}
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/sdk/t/{MT4}", headers=headers) as http:
        placed = (await http.post("/OrderSend", json={"symbol": "EURUSDm", "operation": "Buy", "volume": 0.1})).json()
        assert placed["success"] and placed["deal"] == 0  # MT4 reports no deal ticket
        for row_json in (await http.get("/OpenedOrders")).json():
            OpenedOrder.model_validate(row_json)


async def test_health_endpoints(sim: RunningSimulator, clock: ManualNow) -> None:
    async with client(sim, "read-only") as fx:
        term = fx.terminal(await account(fx, MT4))
        health = await term.status()
        assert health.status == "ready" and health.broker.connected and health.bridge.trade_ea_ready
        assert health.account.login == 2098765 and health.server_time == on_server(clock.now)
        assert (await term.healthz()).status == "ok" and (await term.livez()).terminal
        info = await term.account_info()
        assert info.margin_mode == "Hedging" and info.currency == "EUR" and info.stop_out_level == 50.0


async def test_take_profit_and_stop_out_deals_carry_their_reason(sim: RunningSimulator) -> None:
    await set_quote(sim, "EURUSD", 1.1, 1.1002)
    async with client(sim) as fx:
        term = fx.terminal(await account(fx))
        target = await term.order_send(symbol="EURUSDm", operation="Sell", volume=0.1, take_profit=1.095)
        await set_quote(sim, "EURUSD", 1.0948, 1.095)  # the ask reaches the take-profit
        big = await term.order_send(symbol="EURUSDm", operation="Buy", volume=8.5)
        assert big.success
        await set_quote(sim, "EURUSD", 1.0885, 1.0887)  # the margin level falls under 50 %: stop-out
        outs = {deal.position: deal for deal in await term.order_history() if deal.entry == "Out"}
    assert outs[target.order].comment == "[tp 1.09500]" and outs[target.order].type == "Buy"
    level = float(outs[big.order].comment.removeprefix("so: ").split("%")[0])
    assert 0 < level <= 50 and outs[big.order].profit < 0  # the margin level that triggered it
    assert sim.state.engine.positions(MT5) == []
