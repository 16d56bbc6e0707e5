"""The Broker contract, once per backend (`/v1` with `sk_` keys, the SDK backend with `fxs_` keys), against the
same running simulator and seen only through the broker port's types and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fxbot.backends.sdk import SdkBackend
from fxbot.backends.v1 import V1Backend
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
    RejectedError,
    ScopeRefusedError,
    Side,
    Timeframe,
    Trade,
    close_broker,
)
from fxbot.simulator.runner import RunningSimulator
from tests.integration.sdk_harness import control, sdk_simulator, set_quote

BUY = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1)


@dataclass
class Contract:
    """One backend over the simulator: its registry, keys by role, and what differs between the two APIs."""

    name: str
    sim: RunningSimulator
    backends: BrokerBackends
    trader_key: str
    reader_key: str
    unknown_key: str
    tickets: bool  # ids are MetaTrader tickets
    per_account_quotes: bool

    def broker(self, role: str = "trader") -> Broker:
        return self.backends.client(self.trader_key if role == "trader" else self.reader_key)


@pytest.fixture(params=["v1", "sdk"])
async def contract(request: pytest.FixtureRequest) -> AsyncIterator[Contract]:
    async with sdk_simulator() as sim:
        if request.param == "v1":
            backends = BrokerBackends([V1Backend(http=httpx.AsyncClient(), base_url=sim.base_url,
                                                 stream_url=sim.stream_url)])
            made = Contract("v1", sim, backends, sim.keys["trade"], sim.keys["read-only"],
                            "sk_test_thisKeyDoesNotExist0000000", tickets=False, per_account_quotes=False)
        else:
            backends = BrokerBackends([SdkBackend(management_url=sim.sdk_url)])
            made = Contract("sdk", sim, backends, sim.sdk_keys["full"], sim.sdk_keys["read-only"],
                            "fxs_live_thisKeyDoesNotExist0000000", tickets=True, per_account_quotes=True)
        try:
            yield made
        finally:
            await backends.aclose()


async def test_accounts(contract: Contract) -> None:
    client = contract.broker("reader")
    accounts = await client.list_accounts()
    assert len(accounts) >= 2 and all(isinstance(a, AccountSummary) for a in accounts)
    assert {a.platform for a in accounts} <= {"MT4", "MT5"} and all(a.status == "connected" for a in accounts)
    default = await client.get_account()
    second = await client.get_account(account_id=accounts[1].id)
    assert isinstance(default, Account) and isinstance(second, Account)
    assert default.id == accounts[0].id and second.id == accounts[1].id
    assert default.free_margin <= default.equity and second.currency
    with pytest.raises(NotFoundError):
        await contract.broker().get_account(account_id="acc_doesNotExist")
    await close_broker(client)


async def test_quotes_and_candles(contract: Contract) -> None:
    client = contract.broker("reader")
    await set_quote(contract.sim, "EURUSD", 1.08340, 1.08342)
    quote = await client.get_quote("eurusd")
    assert isinstance(quote, Quote) and (quote.symbol, quote.bid, quote.ask) == ("EURUSD", 1.08340, 1.08342)
    assert quote.spread == pytest.approx(0.2) and quote.time.tzinfo is UTC
    assert abs(quote.time - contract.sim.state.now()) < timedelta(minutes=1)
    first = (await client.list_accounts())[0].id
    assert quote.account_id == (first if contract.per_account_quotes else None)
    series = await client.get_candles("EURUSD", timeframe=Timeframe.M15, limit=5)
    assert isinstance(series, CandleSeries) and series.timeframe is Timeframe.M15 and series.symbol == "EURUSD"
    assert len(series.candles) == 5 and all(isinstance(c, Candle) for c in series.candles)
    times = [c.time for c in series.candles]
    assert times == sorted(times) and times[1] - times[0] == timedelta(minutes=15)
    end = times[-1]
    ranged = await client.get_candles("EURUSD", timeframe=Timeframe.H1, start=end - timedelta(hours=10), end=end)
    assert ranged.candles and all(end - timedelta(hours=10) <= c.time <= end for c in ranged.candles)
    with pytest.raises(NotFoundError):
        await client.get_quote("NOPE")


async def test_market_order_lifecycle(contract: Contract) -> None:
    client = contract.broker()
    await set_quote(contract.sim, "EURUSD", 1.10000, 1.10002)
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=1.09,
                                                   tp=1.12, comment="it"))
    assert isinstance(result, OrderResult) and result.type is OrderType.BUY and result.symbol == "EURUSD"
    assert result.status == "filled" and result.price == 1.10002 and result.position_id
    if contract.tickets:
        assert result.ticket is not None and result.display_id == f"#{result.id}"
    else:
        assert result.ticket is None and result.display_id == result.id
    positions = await client.get_positions()
    assert all(isinstance(p, Position) for p in positions)
    assert [(p.id, p.type, p.volume, p.sl, p.tp) for p in positions] == [
        (result.position_id, Side.BUY, 0.1, 1.09, 1.12)]
    assert positions[0].opened_at is not None
    assert abs(positions[0].opened_at - contract.sim.state.now()) < timedelta(minutes=1)
    modified = await client.modify_order(result.id, OrderChanges(tp=1.13))
    assert isinstance(modified, ModifyResult) and modified.updated and (modified.sl, modified.tp) == (1.09, 1.13)
    cleared = await client.modify_order(result.id, OrderChanges(sl=None))
    assert cleared.sl is None and cleared.tp == 1.13
    assert [(p.sl, p.tp) for p in await client.get_positions()] == [(None, 1.13)]
    await set_quote(contract.sim, "EURUSD", 1.10100, 1.10102)
    partial = await client.close_order(result.id, volume=0.04)
    assert isinstance(partial, CloseResult) and partial.status == "partially_closed"
    assert partial.remaining == pytest.approx(0.06)
    closed = await client.close_order(result.id)
    assert closed.status == "closed" and closed.close_price == 1.10100 and closed.profit is not None
    assert await client.get_positions() == []
    page = await client.get_history()
    assert isinstance(page, HistoryPage) and page.total == 2 and all(isinstance(t, Trade) for t in page.trades)
    assert {t.position_id for t in page.trades} == {result.position_id}
    assert all(t.type is Side.BUY and t.closed_at.tzinfo is UTC and t.symbol == "EURUSD" for t in page.trades)
    assert [t.volume for t in page.trades] == [pytest.approx(0.06), pytest.approx(0.04)]  # newest first
    assert all(t.open_price == 1.10002 and t.close_price == 1.10100 for t in page.trades)
    assert (await client.get_history(symbol="XAUUSD")).total == 0
    assert (await client.get_history(side=Side.SELL)).total == 0
    assert (await client.get_history(side=Side.BUY, limit=1, offset=1)).trades[0].id == page.trades[1].id
    assert (await client.get_history(start=datetime.now(UTC) + timedelta(days=1))).total == 0


async def test_pending_order_lifecycle(contract: Contract) -> None:
    client = contract.broker()
    await set_quote(contract.sim, "EURUSD", 1.10000, 1.10002)
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.2,
                                                   price=1.09))
    assert result.status == "pending" and result.price == 1.09 and result.type is OrderType.BUY_LIMIT
    assert result.position_id is None
    orders = await client.get_orders()
    assert all(isinstance(o, PendingOrder) for o in orders)
    assert [(o.id, o.type, o.price) for o in orders] == [(result.id, OrderType.BUY_LIMIT, 1.09)]
    assert await client.get_positions() == []
    moved = await client.modify_order(result.id, OrderChanges(price=1.085))
    assert moved.price == 1.085 and [o.price for o in await client.get_orders()] == [1.085]
    cancelled = await client.close_order(result.id)
    assert cancelled.status == "cancelled"
    assert await client.get_orders() == []


async def test_trading_on_a_selected_account(contract: Contract) -> None:
    client = contract.broker()
    first, second = (a.id for a in (await client.list_accounts())[:2])
    result = await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.SELL, volume=0.01),
                                      account_id=second)
    assert [p.id for p in await client.get_positions(account_id=second)] == [result.position_id]
    assert await client.get_positions(account_id=first) == []


async def test_refused_keys(contract: Contract) -> None:
    with pytest.raises(ScopeRefusedError) as scope:
        await contract.broker("reader").place_order(BUY)
    assert scope.value.refusal is AccessRefusal.SCOPE_TOO_LOW and scope.value.status == 403
    with pytest.raises(KeyRefusedError) as key:
        await contract.backends.client(contract.unknown_key).list_accounts()
    assert key.value.refusal is AccessRefusal.KEY_REFUSED and "thisKeyDoesNotExist" not in key.value.message


async def test_broker_rejections(contract: Contract) -> None:
    client = contract.broker()
    await set_quote(contract.sim, "EURUSD", 1.10000, 1.10002)
    with pytest.raises(RejectedError) as stops:
        await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=1.2))
    assert type(stops.value) is RejectedError and stops.value.code == "invalid_stops" and stops.value.reason
    await control(contract.sim, "market", {"closed": True})
    with pytest.raises(RejectedError) as closed:
        await client.place_order(BUY)
    assert closed.value.code == "market_closed"
    await control(contract.sim, "market", {"closed": False})
    second = (await client.list_accounts())[1].id
    await control(contract.sim, "faults", {"account_status": {second: "disconnected"}})
    with pytest.raises(AccountDisconnectedError) as disconnected:
        await client.place_order(BUY, account_id=second)
    assert disconnected.value.code == "account_disconnected" and "disconnected" in disconnected.value.reason
    await control(contract.sim, "faults", {"account_status": {second: "connected"}})
    assert await client.get_positions() == [] and await client.get_positions(account_id=second) == []


async def test_outcome_unknown_write_is_not_resent(contract: Contract) -> None:
    client = contract.broker()
    assert await client.get_positions() == []  # what the client reads first (accounts, symbols) is read now
    await control(contract.sim, "faults", {"fail_after_next": 1})
    with pytest.raises(OutcomeUnknownError, match="do not retry blindly"):
        await client.place_order(BUY)
    assert len(await client.get_positions()) == 1  # it ran once, and only once


async def test_a_positions_commission_is_known_so_its_net_matches_the_accounts(contract: Contract) -> None:
    """profit + commission + swap of the open positions equals equity - balance on both backends (the SDK protocol
    carries the opening commission on the `In` deal only; the backend puts its share on the position)."""
    client = contract.broker()
    await set_quote(contract.sim, "EURUSD", 1.10000, 1.10002)
    await client.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.2))
    await client.close_order((await client.get_positions())[0].id, volume=0.1)  # the share follows the volume left
    positions = await client.get_positions()
    account = await client.get_account()
    assert [p.volume for p in positions] == [0.1]
    commission = positions[0].commission
    assert commission is not None and commission < 0
    net = sum(p.profit + (p.commission or 0.0) + (p.swap or 0.0) for p in positions)
    assert round(net, 2) == round(account.equity - account.balance, 2)
    assert await client.get_positions() == positions  # the second read is served from the cached opening commission
