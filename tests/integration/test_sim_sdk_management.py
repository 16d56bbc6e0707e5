"""The SDK face's management API driven by the official `fxsocket` SDK: accounts, key kinds, scopes, batches."""

from __future__ import annotations

from collections.abc import AsyncIterator

import fxsocket
import httpx
import pytest
from fxsocket.models import Account, BatchCloseResult, BatchOrderResult

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sdk_harness import MT4, MT5, client, control, sdk_simulator, set_quote


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with sdk_simulator(symbol_suffix="m") as running:
        yield running


async def test_accounts_list_and_get_with_terminal_urls_on_the_same_server(sim: RunningSimulator) -> None:
    async with client(sim) as fx:
        accounts = await fx.accounts.list()
        assert [a.id for a in accounts] == [MT5, MT4]
        first = accounts[0]
        assert first.platform == "mt5" and accounts[1].platform == "mt4" and first.status == "connected"
        assert first.rest_url == f"{sim.base_url}/sdk/t/{MT5}"
        assert first.ws_url == f"ws://127.0.0.1:{sim.port}/sdk/t/{MT5}/ws"
        assert first.login == 51234567 and first.server and first.created_at.utcoffset() is not None
        assert sorted(accounts, key=lambda a: (a.created_at, a.id))[0].id == MT5  # the default account
        assert (await fx.accounts.get(MT4)).login == 2098765
        with pytest.raises(fxsocket.NotFoundError):
            await fx.accounts.get("acc_nope")
    async with httpx.AsyncClient(headers={"X-API-Key": sim.sdk_keys["read-only"]}) as http:
        raw = (await http.get(f"{sim.sdk_url}/accounts")).json()
    assert isinstance(raw, list)  # a bare array, as the SDK iterates it
    for item in raw:
        Account.model_validate(item)
        assert item["created_at"].endswith("Z")  # management times are real UTC


async def test_key_kinds_are_kept_apart(sim: RunningSimulator) -> None:
    v1_key = sim.keys["full"]
    async with client(sim, key=v1_key) as fx:
        with pytest.raises(fxsocket.AuthError):
            await fx.accounts.list()
    async with client(sim, key="fxs_live_unknown") as fx:
        with pytest.raises(fxsocket.AuthError):
            await fx.accounts.list()
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        sdk_on_v1 = await http.get("/v1/account", headers={"Authorization": f"Bearer {sim.sdk_keys['full']}"})
        assert sdk_on_v1.status_code == 401
        terminal = await http.get(f"/sdk/t/{MT5}/AccountSummary", headers={"X-API-Key": v1_key})
    assert terminal.status_code == 401
    body = terminal.json()
    assert body["error"] == "unauthorized" and body["message"] and isinstance(body["command_id"], int)


async def test_read_only_key_reads_but_may_not_trade(sim: RunningSimulator) -> None:
    async with client(sim, "read-only") as fx:
        assert len(await fx.accounts.list()) == 2
        term = fx.terminal(await fx.accounts.get(MT5))
        assert (await term.account_summary()).currency == "USD"
        with pytest.raises(fxsocket.ForbiddenError):
            await term.order_send(symbol="EURUSDm", operation="Buy", volume=0.01)
        with pytest.raises(fxsocket.ForbiddenError):
            await fx.orders.send([MT5], defaults={"symbol": "EURUSDm", "operation": "Buy", "volume": 0.01})
    assert sim.state.engine.positions(MT5) == []


async def test_selected_read_only_key_sees_only_its_accounts(sim: RunningSimulator) -> None:
    key = "fxs_ro_selected_for_mt4"
    await control(sim, "keys", {"add": {"key": key, "scope": "read-only", "accounts": [MT4]}})
    async with client(sim, key=key) as fx:
        assert [a.id for a in await fx.accounts.list()] == [MT4]
        with pytest.raises(fxsocket.NotFoundError):
            await fx.accounts.get(MT5)
    async with client(sim) as owner, client(sim, key=key) as fx:
        hidden = await owner.accounts.get(MT5)
        with pytest.raises(fxsocket.AuthError):  # 401 at the terminal of an account outside the key's scope
            await fx.terminal(hidden).account_summary()
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        refused = await http.post("/_sim/keys", json={"add": {"key": "fxs_live_x", "scope": "trade"}})
    assert refused.status_code == 400 and "full" in refused.json()["message"]


async def test_batch_orders_replay_by_idempotency_key_and_close_by_base_symbol(sim: RunningSimulator) -> None:
    await set_quote(sim, "EURUSD", 1.1, 1.1002)
    order = {"symbol": "EURUSDm", "operation": "Sell", "volume": 0.02}
    async with client(sim) as fx:
        sent = await fx.orders.send([MT5, {"account_id": MT4, "volume": 0.03}], defaults=order, idempotency_key="b-1")
        assert sent.summary.filled == 2 and not sent.idempotent_replay
        mt5, mt4 = sent.results
        assert mt5.status == "filled" and mt5.retcode == 10009 and mt5.order and mt5.deal and mt5.price == 1.1
        assert mt4.volume == 0.03 and mt4.deal == 0 and mt4.platform == "mt4"  # MT4 reports no deal ticket
        again = await fx.orders.send([MT5, {"account_id": MT4, "volume": 0.03}], defaults=order, idempotency_key="b-1")
        assert again.idempotent_replay and again.results == sent.results
        with pytest.raises(fxsocket.IdempotencyError):
            await fx.orders.send([MT5], defaults=order, idempotency_key="b-1")
        assert len(sim.state.engine.positions(MT5)) == 1  # the replay sent nothing
        rejected = await fx.orders.send([MT5], defaults={**order, "volume": 0.015})
        assert rejected.results[0].status == "rejected" and rejected.results[0].retcode == 10014
        unknown = await fx.orders.send([MT5], defaults={**order, "symbol": "EURUSD"})
        assert unknown.results[0].status == "invalid" and unknown.summary.failed == 1
        with pytest.raises(fxsocket.ValidationError) as bad:
            await fx.orders.send(["acc_nope"], defaults=order)
        assert bad.value.code == "unknown_account"
        closed = await fx.orders.close([MT5, MT4], defaults={"symbol": "EURUSD", "symbol_match": "base"})
        assert [leg.status for leg in closed.results] == ["closed", "closed"]
        assert closed.summary.closed == 2 and closed.results[0].results[0].ticket == mt5.order
        nothing = await fx.orders.close([MT5], defaults={"symbol": "*"})
        assert nothing.results[0].status == "nothing_matched"
    assert sim.state.engine.positions(MT5) == [] and sim.state.engine.positions(MT4) == []


async def test_batch_shapes_validate_with_the_sdk_models(sim: RunningSimulator) -> None:
    headers = {"X-API-Key": sim.sdk_keys["full"]}
    async with httpx.AsyncClient(base_url=sim.sdk_url, headers=headers) as http:
        sent = await http.post("/orders", json={"orders": [{"account_id": MT5}], "defaults": {
            "symbol": "EURUSDm", "operation": "Buy", "volume": 0.01, "expert_id": 5}})  # fmt: skip
        BatchOrderResult.model_validate(sent.json())
        ticket = sent.json()["results"][0]["order"]
        closed = await http.post("/orders/close", json={"accounts": [{"account_id": MT5, "tickets": [ticket, 7]}]})
        result = BatchCloseResult.model_validate(closed.json())
        assert [t.status for t in result.results[0].results] == ["closed", "invalid"]
        leg = {"account_id": MT5, "tickets": [1], "side": "long"}
        mixed = await http.post("/orders/close", json={"accounts": [leg]})
        assert mixed.status_code == 400 and mixed.json()["error"] == "invalid_batch" and mixed.json()["detail"]
        typo = await http.post("/orders", json={"orders": [{"account_id": MT5, "stop_los": 1.0}]})
        assert typo.status_code == 400 and "stop_los" in typo.json()["detail"]
