"""The `/v1` backend against the real simulator, seen only through the broker port (types and errors)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fxbot.backends.v1 import V1Backend, V1Broker
from fxbot.domain.broker import (
    AccessRefusal,
    Account,
    AccountDisconnectedError,
    AccountSummary,
    Broker,
    BrokerBackends,
    Candle,
    CandleSeries,
    CloseResult,
    HistoryPage,
    InvalidArgumentError,
    KeyRefusedError,
    ModifyResult,
    NotFoundError,
    OrderChanges,
    OrderRequest,
    OrderResult,
    OrderType,
    OutcomeUnknownError,
    PendingOrder,
    Position,
    Quote,
    RateLimitedError,
    RejectedError,
    ScopeRefusedError,
    ServerError,
    Side,
    Timeframe,
    Trade,
    UnreachableError,
)
from fxbot.fxsocket.client import FxSocketClient
from fxbot.simulator.runner import RunningSimulator

BUY = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1)


@pytest.fixture
async def backends(sim_paused: RunningSimulator) -> AsyncIterator[BrokerBackends]:
    registry = BrokerBackends([V1Backend(http=httpx.AsyncClient(), base_url=sim_paused.base_url,
                                         stream_url=sim_paused.stream_url)])
    yield registry
    await registry.aclose()


def broker(backends: BrokerBackends, sim: RunningSimulator, scope: str = "trade") -> Broker:
    return backends.client(sim.keys[scope])


async def control(sim: RunningSimulator, path: str, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{sim.base_url}/_sim/{path}", json=body)
        assert response.status_code == 200, response.text


async def test_accounts(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused, "read-only")
    accounts = await client.list_accounts()
    assert len(accounts) >= 2 and all(isinstance(a, AccountSummary) for a in accounts)
    assert {a.platform for a in accounts} <= {"MT4", "MT5"} and all(a.status == "connected" for a in accounts)
    default = await client.get_account()
    second = await client.get_account(account_id=accounts[1].id)
    assert isinstance(default, Account) and isinstance(second, Account)
    assert default.id == accounts[0].id and second.id == accounts[1].id
    assert second.currency == accounts[1].currency and default.free_margin <= default.equity
    with pytest.raises(NotFoundError):
        await client.get_account(account_id="acc_doesNotExist")


async def test_quotes_and_candles(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused, "read-only")
    await control(sim_paused, "quotes/EURUSD", {"bid": 1.08340, "ask": 1.08342})
    quote = await client.get_quote("eurusd")
    assert isinstance(quote, Quote) and (quote.symbol, quote.bid, quote.ask) == ("EURUSD", 1.08340, 1.08342)
    assert quote.spread == pytest.approx(0.2) and quote.time.tzinfo is UTC and quote.account_id is None
    series = await client.get_candles("EURUSD", timeframe=Timeframe.M15, limit=5)
    assert isinstance(series, CandleSeries) and series.timeframe is Timeframe.M15
    assert len(series.candles) == 5 and all(isinstance(c, Candle) for c in series.candles)
    times = [c.time for c in series.candles]
    assert times == sorted(times) and times[1] - times[0] == timedelta(minutes=15)
    end = times[-1]
    ranged = await client.get_candles("EURUSD", timeframe=Timeframe.H1, start=end - timedelta(hours=10), end=end)
    assert ranged.candles and all(end - timedelta(hours=10) <= c.time <= end for c in ranged.candles)
    with pytest.raises(NotFoundError):
        await client.get_quote("NOPE")


async def test_market_order_lifecycle(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused)
    await control(sim_paused, "quotes/EURUSD", {"bid": 1.10000, "ask": 1.10002})
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=1.09,
                                                   tp=1.12, comment="it"))
    assert isinstance(result, OrderResult) and result.type is OrderType.BUY
    assert result.status == "filled" and result.price == 1.10002 and result.position_id
    assert result.ticket is None and result.display_id == result.id  # /v1 ids are not tickets
    positions = await client.get_positions()
    assert all(isinstance(p, Position) for p in positions)
    assert [(p.id, p.type, p.volume, p.sl, p.tp) for p in positions] == [
        (result.position_id, Side.BUY, 0.1, 1.09, 1.12)]
    modified = await client.modify_order(result.id, OrderChanges(tp=1.13))
    assert isinstance(modified, ModifyResult) and modified.updated and (modified.sl, modified.tp) == (1.09, 1.13)
    cleared = await client.modify_order(result.id, OrderChanges(sl=None))
    assert cleared.sl is None and cleared.tp == 1.13
    await control(sim_paused, "quotes/EURUSD", {"bid": 1.10100, "ask": 1.10102})
    partial = await client.close_order(result.id, volume=0.04)
    assert isinstance(partial, CloseResult) and partial.status == "partially_closed"
    assert partial.remaining == pytest.approx(0.06)
    closed = await client.close_order(result.id)
    assert closed.status == "closed" and closed.close_price == 1.10100 and closed.profit is not None
    assert await client.get_positions() == []
    page = await client.get_history()
    assert isinstance(page, HistoryPage) and page.total == 2 and all(isinstance(t, Trade) for t in page.trades)
    assert {t.position_id for t in page.trades} == {result.position_id}
    assert all(t.type is Side.BUY and t.closed_at.tzinfo is UTC for t in page.trades)
    assert (await client.get_history(symbol="XAUUSD")).total == 0
    assert (await client.get_history(side=Side.SELL)).total == 0
    assert (await client.get_history(side=Side.BUY, limit=1, offset=1)).trades[0].id == page.trades[1].id
    assert (await client.get_history(start=datetime.now(UTC) + timedelta(days=1))).total == 0


async def test_pending_order_lifecycle(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused)
    await control(sim_paused, "quotes/EURUSD", {"bid": 1.10000, "ask": 1.10002})
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.2,
                                                   price=1.09))
    assert result.status == "pending" and result.price == 1.09 and result.type is OrderType.BUY_LIMIT
    orders = await client.get_orders()
    assert all(isinstance(o, PendingOrder) for o in orders)
    assert [(o.id, o.type, o.price) for o in orders] == [(result.id, OrderType.BUY_LIMIT, 1.09)]
    moved = await client.modify_order(result.id, OrderChanges(price=1.085))
    assert moved.price == 1.085
    cancelled = await client.close_order(result.id)
    assert cancelled.status == "cancelled"
    assert await client.get_orders() == []


async def test_trading_on_a_selected_account(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused)
    first, second = (a.id for a in (await client.list_accounts())[:2])
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.SELL, volume=0.01),
                                      account_id=second)
    assert [p.id for p in await client.get_positions(account_id=second)] == [result.position_id]
    assert await client.get_positions(account_id=first) == []


# --- errors, as port errors


async def test_stop_limit_is_refused_before_anything_is_sent(sim_paused: RunningSimulator,
                                                             backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused)
    with pytest.raises(InvalidArgumentError, match="/v1"):
        await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_STOP_LIMIT, volume=0.1,
                                              price=1.2, stop_limit_price=1.19))
    assert await client.get_orders() == [] and await client.get_positions() == []


async def test_refused_keys(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    with pytest.raises(ScopeRefusedError) as scope:
        await broker(backends, sim_paused, "read-only").place_order(BUY)
    assert scope.value.refusal is AccessRefusal.SCOPE_TOO_LOW and scope.value.status == 403
    with pytest.raises(KeyRefusedError) as key:
        await backends.client("sk_test_thisKeyDoesNotExist0000000").list_accounts()
    assert key.value.refusal is AccessRefusal.KEY_REFUSED and "thisKeyDoesNotExist" not in key.value.message


async def test_broker_rejections(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused)
    await control(sim_paused, "quotes/EURUSD", {"bid": 1.10000, "ask": 1.10002})
    with pytest.raises(RejectedError) as stops:
        await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=1.2))
    assert type(stops.value) is RejectedError and stops.value.code == "invalid_stops" and stops.value.reason
    await control(sim_paused, "market", {"closed": True})
    with pytest.raises(RejectedError) as closed:
        await client.place_order(BUY)
    assert closed.value.code == "market_closed"
    await control(sim_paused, "market", {"closed": False})
    second = (await client.list_accounts())[1].id
    await control(sim_paused, "faults", {"account_status": {second: "disconnected"}})
    with pytest.raises(AccountDisconnectedError) as disconnected:
        await client.place_order(BUY, account_id=second)
    assert disconnected.value.code == "account_disconnected" and "disconnected" in disconnected.value.reason
    assert await client.get_positions() == [] and await client.get_positions(account_id=second) == []


async def test_outcome_unknown_write_is_not_resent(sim_paused: RunningSimulator, backends: BrokerBackends) -> None:
    client = broker(backends, sim_paused)
    await control(sim_paused, "faults", {"fail_after_next": 1})
    with pytest.raises(OutcomeUnknownError, match="do not retry blindly"):
        await client.place_order(BUY)
    assert len(await client.get_positions()) == 1  # it ran once, and only once


async def test_rate_limited_and_server_errors(sim_paused: RunningSimulator) -> None:
    async with httpx.AsyncClient() as http:
        impatient = V1Broker(FxSocketClient(http, api_key=sim_paused.keys["trade"], base_url=sim_paused.base_url,
                                            max_rate_limit_retries=0, get_retries=0))
        await control(sim_paused, "faults", {"rate_limit_for_s": 100})
        with pytest.raises(RateLimitedError) as limited:
            await impatient.get_account()
        assert limited.value.retry_after > 0 and limited.value.status == 429
        await control(sim_paused, "faults", {})
        await control(sim_paused, "faults", {"fail_next": 1})
        with pytest.raises(ServerError) as failed:
            await impatient.get_account()
        assert failed.value.status == 500


async def test_unreachable_api_for_reads_and_writes() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with httpx.AsyncClient() as http:
        client = V1Broker(FxSocketClient(http, api_key="sk_test_whatever", base_url=f"http://127.0.0.1:{port}",
                                         backoff_base_s=0.01))
        with pytest.raises(UnreachableError) as read:
            await client.get_quote("EURUSD")
        assert not read.value.write
        with pytest.raises(UnreachableError, match="nothing was sent") as write:
            await client.place_order(BUY)
        assert write.value.write
