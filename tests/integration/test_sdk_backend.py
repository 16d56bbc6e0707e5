"""What the SDK backend adds to the Broker contract, against the simulator's SDK face, through port types only:
broker symbol names, tickets, stop-limit orders, close-all, symbol specs, margin, terminal status, key refusals per
account, the retry policy, and broker server time at fixed and daylight-saving offsets."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from fxbot.backends.sdk import SdkBackend
from fxbot.backends.sdk_broker import SdkBroker
from fxbot.domain.broker import (
    AccessRefusal,
    AccountDisconnectedError,
    AccountOutsideKeyError,
    InvalidArgumentError,
    KeyRefusedError,
    NotFoundError,
    OrderChanges,
    OrderRequest,
    OrderType,
    OutcomeUnknownError,
    RateLimitedError,
    Timeframe,
    UnreachableError,
    close_broker,
)
from fxbot.domain.broker.capabilities import (
    CloseAllResult,
    MarginEstimate,
    SupportsCloseAll,
    SupportsMarginCalc,
    SupportsSymbolSpecs,
    SupportsTerminalStatus,
    TerminalStatus,
)
from fxbot.domain.broker.symbols import SymbolSpec, UnknownSymbolError
from fxbot.simulator.runner import RunningSimulator
from tests.integration.sdk_harness import MT4, MT5, ManualNow, control, sdk_simulator, set_quote

BUY = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1)
SELECTED_KEY = "fxs_ro_selectedOnlyMt5Key0000000000"


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with sdk_simulator(symbol_suffix="m") as running:
        await set_quote(running, "EURUSD", 1.10000, 1.10002)
        await set_quote(running, "XAUUSD", 2300.00, 2300.30)
        yield running


@pytest.fixture
async def backend(sim: RunningSimulator) -> AsyncIterator[SdkBackend]:
    made = SdkBackend(management_url=sim.sdk_url)
    yield made
    await made.aclose()


@pytest.fixture
def broker(backend: SdkBackend, sim: RunningSimulator) -> SdkBroker:
    return backend.client(sim.sdk_keys["full"])


async def test_it_offers_every_optional_capability(broker: SdkBroker) -> None:
    for capability in (SupportsSymbolSpecs, SupportsMarginCalc, SupportsTerminalStatus, SupportsCloseAll):
        assert isinstance(broker, capability)


async def test_broker_symbol_names_never_reach_the_core(broker: SdkBroker) -> None:
    symbols = await broker.list_symbols()
    assert "EURUSD" in symbols and "XAUUSD" in symbols and not any(s.endswith("m") for s in symbols)
    spec = await broker.symbol_spec("eurusd")
    assert isinstance(spec, SymbolSpec) and (spec.symbol, spec.broker_symbol) == ("EURUSD", "EURUSDm")
    assert (spec.digits, spec.pip_size, spec.volume_min, spec.volume_step, spec.trade_mode) == (
        5, 0.0001, 0.01, 0.01, "full")
    assert spec.volume_max >= 50 and spec.tradable
    placed = await broker.place_order(OrderRequest(symbol="XAUUSD", type=OrderType.SELL, volume=0.01))
    assert placed.symbol == "XAUUSD"
    assert [p.symbol for p in await broker.get_positions()] == ["XAUUSD"]
    await broker.close_order(placed.id)
    assert [t.symbol for t in (await broker.get_history()).trades] == ["XAUUSD"]
    assert (await broker.get_history(symbol="XAUUSD")).total == 1
    assert (await broker.get_candles("XAUUSD", timeframe=Timeframe.M5, limit=2)).symbol == "XAUUSD"
    with pytest.raises(UnknownSymbolError) as unknown:
        await broker.place_order(OrderRequest(symbol="EURUSX", type=OrderType.BUY, volume=0.1))
    assert "EURUSD" in unknown.value.suggestions and "did you mean EURUSD" in unknown.value.message
    assert await broker.get_positions() == []


async def test_tickets_are_accepted_as_metatrader_shows_them(broker: SdkBroker) -> None:
    placed = await broker.place_order(BUY)
    assert placed.id.isdigit() and placed.position_id == placed.id
    moved = await broker.modify_order(f"#{placed.id}", OrderChanges(sl=1.09))
    assert moved.id == placed.id and moved.sl == 1.09
    with pytest.raises(NotFoundError):
        await broker.modify_order("pos_notATicket", OrderChanges(sl=1.09))
    with pytest.raises(NotFoundError):
        await broker.close_order("99999999")
    with pytest.raises(InvalidArgumentError):
        await broker.modify_order(placed.id, OrderChanges())  # nothing to change
    unchanged = await broker.modify_order(placed.id, OrderChanges(sl=1.09))
    assert not unchanged.updated and unchanged.sl == 1.09  # the terminal's "no changes" (10025) is not an error


async def test_stop_limit_orders(broker: SdkBroker) -> None:
    placed = await broker.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_STOP_LIMIT, volume=0.1,
                                                   price=1.1010, stop_limit_price=1.1005, sl=1.09))
    assert (placed.status, placed.type, placed.price) == ("pending", OrderType.BUY_STOP_LIMIT, 1.1010)
    [order] = await broker.get_orders()
    assert (order.id, order.type, order.price, order.sl) == (placed.id, OrderType.BUY_STOP_LIMIT, 1.1010, 1.09)
    moved = await broker.modify_order(placed.id, OrderChanges(price=1.1020))
    assert moved.updated and moved.price == 1.1020
    assert (await broker.close_order(placed.id)).status == "cancelled" and await broker.get_orders() == []
    with pytest.raises(InvalidArgumentError, match="stop-limit price"):
        await broker.place_order(OrderRequest(symbol="EURUSD", type=OrderType.SELL_STOP_LIMIT, volume=0.1,
                                              price=1.09))


async def test_close_all_closes_positions_and_deletes_pending_orders_when_asked(broker: SdkBroker) -> None:
    first = await broker.place_order(BUY)
    second = await broker.place_order(OrderRequest(symbol="XAUUSD", type=OrderType.BUY, volume=0.01))
    pending = await broker.place_order(OrderRequest(symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.1,
                                                    price=1.05))
    only_gold = await broker.close_all(symbol="XAUUSD")
    assert isinstance(only_gold, CloseAllResult) and [(i.id, i.kind, i.closed) for i in only_gold.items] == [
        (second.id, "position", True)]
    everything = await broker.close_all(include_pending=True)
    assert (everything.requested, everything.closed, everything.failed) == (2, 2, 0)
    assert {(i.id, i.kind) for i in everything.items} == {(first.id, "position"), (pending.id, "pending")}
    assert await broker.get_positions() == [] and await broker.get_orders() == []


async def test_margin_and_terminal_status(broker: SdkBroker, sim: RunningSimulator) -> None:
    margin = await broker.calc_margin(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=1.0))
    assert isinstance(margin, MarginEstimate) and margin.symbol == "EURUSD" and margin.price == 1.10002
    assert margin.margin > 0 and margin.currency == (await broker.get_account()).currency
    pending = await broker.calc_margin(OrderRequest(symbol="EURUSD", type=OrderType.SELL_LIMIT, volume=1.0,
                                                    price=1.2), account_id=MT4)
    assert pending.price == 1.2 and pending.type is OrderType.SELL_LIMIT
    status = await broker.terminal_status()
    assert isinstance(status, TerminalStatus) and status.ready and status.broker_connected and status.trade_ea_ready
    assert status.ea_heartbeat_age_s is not None and status.server_time is not None
    assert abs(status.server_time - sim.state.now()) < timedelta(minutes=1)
    await control(sim, "faults", {"account_status": {MT5: "disconnected"}})
    down = await broker.terminal_status()
    assert (down.status, down.broker_connected, down.trade_ea_ready, down.ea_heartbeat_age_s) == (
        "down", False, False, None)
    with pytest.raises(AccountDisconnectedError):
        await broker.get_positions()  # reads, too, wait for a ready terminal


async def test_a_read_only_key_limited_to_selected_accounts(backend: SdkBackend, sim: RunningSimulator) -> None:
    await control(sim, "keys", {"add": {"key": SELECTED_KEY, "scope": "read-only", "accounts": [MT5]}})
    reader = backend.client(SELECTED_KEY)
    assert [a.id for a in await reader.list_accounts()] == [MT5]
    assert (await reader.get_account()).id == MT5
    with pytest.raises(AccountOutsideKeyError) as outside:
        await reader.get_positions(account_id=MT4)
    assert outside.value.refusal is AccessRefusal.ACCOUNT_OUTSIDE_KEY and SELECTED_KEY not in outside.value.message
    await close_broker(reader)


async def test_a_key_revoked_while_in_use_is_refused_at_the_terminal(backend: SdkBackend,
                                                                    sim: RunningSimulator) -> None:
    key = "fxs_live_revokedWhileInUse000000000000"
    await control(sim, "keys", {"add": {"key": key, "scope": "full"}})
    client = backend.client(key)
    assert await client.get_positions() == []  # the account list is cached now
    await control(sim, "keys", {"revoke": key})
    with pytest.raises(KeyRefusedError) as refused:
        await client.get_positions()
    assert refused.value.refusal is AccessRefusal.KEY_REFUSED and key not in str(refused.value)


async def test_reads_are_retried_and_writes_are_not(broker: SdkBroker, sim: RunningSimulator) -> None:
    assert await broker.get_positions() == []  # the account list and symbols are read (and cached) now
    await control(sim, "faults", {"fail_next": 1})  # one 504, before anything runs
    assert (await broker.get_account()).balance > 0
    await control(sim, "faults", {"fail_after_next": 1})  # the order runs, its answer is a 504
    with pytest.raises(OutcomeUnknownError):
        await broker.place_order(BUY)
    assert len(await broker.get_positions()) == 1  # it ran, once
    await control(sim, "faults", {"fail_after_next": 1})  # the close-all pass runs, its answer is a 504
    with pytest.raises(OutcomeUnknownError, match="do not retry blindly"):
        await broker.close_all()
    assert await broker.get_positions() == []


async def test_rate_limited(sim: RunningSimulator) -> None:
    impatient = SdkBackend(management_url=sim.sdk_url, max_rate_limit_retries=0)
    client = impatient.client(sim.sdk_keys["read-only"])
    await control(sim, "faults", {"rate_limit_for_s": 100})
    with pytest.raises(RateLimitedError) as limited:
        await client.get_account()
    assert limited.value.retry_after > 0 and limited.value.status == 429
    await impatient.aclose()


async def test_unreachable_api_for_reads_and_writes() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = SdkBackend(management_url=f"http://127.0.0.1:{port}/sdk/v1", backoff_base_s=0.01)
    client = backend.client("fxs_live_whatever0000000000")
    with pytest.raises(UnreachableError) as read:
        await client.get_quote("EURUSD")
    assert not read.value.write
    with pytest.raises(UnreachableError):
        await backend.probe(timeout_s=1.0)
    await backend.aclose()


async def test_the_key_never_shows_and_shared_clients_are_closed_with_their_last_user(
        backend: SdkBackend, sim: RunningSimulator) -> None:
    key = sim.sdk_keys["full"]
    client, stream = backend.client(key), backend.stream(key)
    for made in (backend, client, stream):
        assert key not in repr(made) and key[9:] not in repr(made)
    assert "keys=1" in repr(backend)  # one shared SDK client for the key
    await close_broker(client)
    assert "keys=1" in repr(backend)
    await stream.close()
    assert "keys=0" in repr(backend)
    await backend.probe()  # the management API answers (a 401 without a key)


WINTER = datetime(2026, 1, 14, 12, 0, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 9, 30, 0, tzinfo=UTC)


@pytest.mark.parametrize("offset_h, first, then", [
    (2, SUMMER, WINTER), (3, WINTER, SUMMER), (None, WINTER, SUMMER), (None, SUMMER, WINTER),
], ids=["UTC+2", "UTC+3", "new-york-close-into-summer", "new-york-close-into-winter"])
async def test_broker_server_time_becomes_utc(offset_h: int | None, first: datetime, then: datetime) -> None:
    """Opened in one season, closed in the other (across New York's daylight saving switch)."""
    async with sdk_simulator(server_utc_offset_h=offset_h) as sim:
        clock = ManualNow(first)
        sim.state.clock = clock
        backend = SdkBackend(management_url=sim.sdk_url)
        client = backend.client(sim.sdk_keys["full"])
        await set_quote(sim, "EURUSD", 1.1, 1.10002)
        assert (await client.get_quote("EURUSD")).time == first
        placed = await client.place_order(BUY)
        [position] = await client.get_positions()
        assert position.opened_at == first
        clock.now = then
        await set_quote(sim, "EURUSD", 1.101, 1.10102)
        await client.close_order(placed.id)
        earliest = min(first, then)
        [trade] = (await client.get_history(start=earliest - timedelta(days=1))).trades
        assert (trade.opened_at, trade.closed_at) == (first, then)
        assert (await client.get_history(start=then + timedelta(minutes=1))).total == 0
        assert (await client.get_history(end=then - timedelta(minutes=1))).total == 0
        days = (await client.get_candles("EURUSD", timeframe=Timeframe.D1, limit=2)).candles
        for candle in days:  # a D1 bar opens at the server's midnight: 22:00 UTC at UTC+2, 21:00 at UTC+3
            offset = offset_h if offset_h is not None else (3 if _new_york_summer(candle.time) else 2)
            assert (candle.time.hour, candle.time.minute) == (24 - offset, 0)
        await close_broker(client)
        await backend.aclose()


def _new_york_summer(moment: datetime) -> bool:
    from fxbot.backends.sdk_time import new_york_summer

    return new_york_summer(moment + timedelta(hours=3))
