"""FxSocketClient against the real simulator: every REST method, account selection and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.errors import BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError
from fxbot.fxsocket.models import OrderChanges, OrderRequest, OrderType, Side, Timeframe
from fxbot.simulator.runner import RunningSimulator


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def client_for(http: httpx.AsyncClient, sim: RunningSimulator, scope: str = "trade") -> FxSocketClient:
    return FxSocketClient(http, api_key=sim.keys[scope], base_url=sim.base_url)


async def set_price(http: httpx.AsyncClient, sim: RunningSimulator, symbol: str, **prices: Any) -> None:
    response = await http.post(f"{sim.base_url}/_sim/quotes/{symbol}", json=prices)
    assert response.status_code == 200, response.text


async def test_accounts_and_account_selection(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(http, sim_paused, "read-only")
    accounts = await client.list_accounts()
    assert len(accounts) >= 2
    assert {a.platform for a in accounts} <= {"MT4", "MT5"}
    default = await client.get_account()
    assert default.id == accounts[0].id
    second = await client.get_account(account_id=accounts[1].id)
    assert second.id == accounts[1].id and second.id != default.id
    assert second.currency == accounts[1].currency
    assert default.leverage is not None and default.free_margin <= default.equity
    with pytest.raises(NotFoundError):
        await client.get_account(account_id="acc_doesNotExist")


async def test_quotes_and_candles(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(http, sim_paused, "read-only")
    await set_price(http, sim_paused, "EURUSD", bid=1.08340, ask=1.08342)
    quote = await client.get_quote("eurusd")
    assert (quote.symbol, quote.bid, quote.ask) == ("EURUSD", 1.08340, 1.08342)
    assert quote.spread == pytest.approx(0.2) and quote.time.tzinfo is not None
    series = await client.get_candles("EURUSD", timeframe=Timeframe.M15, limit=5)
    assert series.timeframe is Timeframe.M15 and len(series.candles) == 5
    times = [c.time for c in series.candles]
    assert times == sorted(times) and times[1] - times[0] == timedelta(minutes=15)
    end = times[-1]
    ranged = await client.get_candles("EURUSD", timeframe=Timeframe.H1, start=end - timedelta(hours=10),
                                      end=end)
    assert ranged.candles and all(end - timedelta(hours=10) <= c.time <= end for c in ranged.candles)
    with pytest.raises(NotFoundError):
        await client.get_quote("NOPE")


async def test_market_order_lifecycle(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(http, sim_paused)
    await set_price(http, sim_paused, "EURUSD", bid=1.10000, ask=1.10002)
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1,
                                                   sl=1.09, tp=1.12, comment="it"))
    assert result.status == "filled" and result.price == 1.10002 and result.position_id
    positions = await client.get_positions()
    assert [(p.id, p.type, p.volume, p.sl, p.tp) for p in positions] == [
        (result.position_id, Side.BUY, 0.1, 1.09, 1.12)]
    modified = await client.modify_order(result.id, OrderChanges(tp=1.13))
    assert modified.updated and modified.tp == 1.13 and modified.sl == 1.09
    cleared = await client.modify_order(result.id, OrderChanges(sl=None))
    assert cleared.sl is None and cleared.tp == 1.13
    await set_price(http, sim_paused, "EURUSD", bid=1.10100, ask=1.10102)
    partial = await client.close_order(result.id, volume=0.04)
    assert partial.status == "partially_closed" and partial.remaining == pytest.approx(0.06)
    assert [p.volume for p in await client.get_positions()] == [pytest.approx(0.06)]
    closed = await client.close_order(result.id)
    assert closed.status == "closed" and closed.close_price == 1.10100 and closed.profit is not None
    assert await client.get_positions() == []
    page = await client.get_history()
    assert page.total == 2 and len(page.trades) == 2
    assert {t.position_id for t in page.trades} == {result.position_id}
    assert all(t.type is Side.BUY and t.closed_at.tzinfo is not None for t in page.trades)
    assert (await client.get_history(symbol="XAUUSD")).total == 0
    assert (await client.get_history(side=Side.SELL)).total == 0
    one = await client.get_history(limit=1, offset=1)
    assert one.total == 2 and len(one.trades) == 1
    later = datetime.now(UTC) + timedelta(days=1)
    assert (await client.get_history(start=later)).total == 0


async def test_pending_order_lifecycle(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(http, sim_paused)
    await set_price(http, sim_paused, "EURUSD", bid=1.10000, ask=1.10002)
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.2,
                                                   price=1.09))
    assert result.status == "pending" and result.price == 1.09
    orders = await client.get_orders()
    assert [(o.id, o.type, o.price) for o in orders] == [(result.id, OrderType.BUY_LIMIT, 1.09)]
    moved = await client.modify_order(result.id, OrderChanges(price=1.085))
    assert moved.price == 1.085
    cancelled = await client.close_order(result.id)
    assert cancelled.status == "cancelled"
    assert await client.get_orders() == []


async def test_trading_on_a_selected_account(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    client = client_for(http, sim_paused)
    first, second = (a.id for a in (await client.list_accounts())[:2])
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.SELL, volume=0.01),
                                      account_id=second)
    assert [p.id for p in await client.get_positions(account_id=second)] == [result.position_id]
    assert await client.get_positions(account_id=first) == []
    assert await client.get_positions() == []
    with pytest.raises(NotFoundError):  # the order lives on the other account
        await client.close_order(result.id, account_id=first)
    assert (await client.close_order(result.id, account_id=second)).status == "closed"


async def test_error_mapping(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    bogus = FxSocketClient(http, api_key="sk_test_not_a_real_key", base_url=sim_paused.base_url)
    with pytest.raises(UnauthorizedError) as unauthorized:
        await bogus.get_account()
    assert unauthorized.value.status == 401 and "sk_test_not_a_real_key" not in str(unauthorized.value)

    reader = client_for(http, sim_paused, "read-only")
    with pytest.raises(ForbiddenError) as forbidden:
        await reader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1))
    assert forbidden.value.code == "forbidden"

    trader = client_for(http, sim_paused)
    with pytest.raises(NotFoundError):
        await trader.close_order("ord_doesNotExist")
    with pytest.raises(BadRequestError) as volume:
        await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.015))
    assert volume.value.code == "invalid_volume" and volume.value.status == 400
    with pytest.raises(BadRequestError) as stops:
        await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=5.0))
    assert stops.value.code == "invalid_stops"
    with pytest.raises(BadRequestError) as symbol:
        await trader.place_order(OrderRequest(symbol="NOPE", type=OrderType.BUY, volume=0.1))
    assert symbol.value.code == "invalid_symbol"
    with pytest.raises(BadRequestError) as price:
        await trader.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.1))
    assert price.value.code in ("invalid_price", "bad_request")
    assert await trader.get_positions() == [] and await trader.get_orders() == []


async def test_partial_close_reports_the_remaining_volume(
    sim_paused: RunningSimulator, http: httpx.AsyncClient
) -> None:
    client = client_for(http, sim_paused)
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1))
    partial = await client.close_order(result.id, volume=0.06)
    assert partial.status == "partially_closed" and partial.remaining == pytest.approx(0.04)
