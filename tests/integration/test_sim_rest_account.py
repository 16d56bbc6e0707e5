"""Contract tests of the simulator's account endpoints, scopes and account selection (raw httpx JSON)."""

from __future__ import annotations

import pytest

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sim_contract import (
    ACCOUNT_FIELDS,
    ACCOUNTS_ITEM_FIELDS,
    PENDING_FIELDS,
    POSITION_FIELDS,
    assert_error,
    assert_fields,
    assert_numbers,
    assert_optional_numbers,
    is_number,
    is_time,
    sim_http,
)


async def test_account_has_exactly_the_contract_fields(sim: RunningSimulator) -> None:
    async with sim_http(sim, "read-only") as http:
        response = await http.get("/v1/account")
    assert response.status_code == 200
    body = response.json()
    assert_fields(body, ACCOUNT_FIELDS)
    assert body["id"].startswith("acc_")
    assert isinstance(body["currency"], str) and len(body["currency"]) == 3
    assert_numbers(body, "balance", "equity", "margin", "free_margin", "leverage", "profit")
    assert isinstance(body["leverage"], int)
    assert body["margin"] == 0 and body["margin_level"] is None
    assert body["balance"] == body["equity"] == body["free_margin"]


async def test_accounts_list_fields_and_values(sim: RunningSimulator) -> None:
    async with sim_http(sim, "read-only") as http:
        response = await http.get("/v1/accounts")
    assert response.status_code == 200
    items = response.json()
    assert isinstance(items, list) and len(items) >= 2
    for item in items:
        assert_fields(item, ACCOUNTS_ITEM_FIELDS)
        assert item["id"].startswith("acc_")
        assert item["platform"] in ("MT4", "MT5")
        assert item["status"] == "connected"
        assert isinstance(item["login"], int) and not isinstance(item["login"], bool)
        assert isinstance(item["name"], str) and isinstance(item["broker"], str)
    assert {item["platform"] for item in items} == {"MT4", "MT5"}


async def test_account_selection_default_explicit_and_unreachable(sim: RunningSimulator) -> None:
    async with sim_http(sim, "trade") as http:
        ids = [item["id"] for item in (await http.get("/v1/accounts")).json()]
        default = (await http.get("/v1/account")).json()
        second = (await http.get("/v1/account", params={"account_id": ids[1]})).json()
        assert default["id"] == ids[0]
        assert second["id"] == ids[1]
        assert second["currency"] != default["currency"]
        assert_error(await http.get("/v1/account", params={"account_id": "acc_nope"}), 404, "not_found")
        assert_error(await http.get("/v1/positions", params={"account_id": "acc_nope"}), 404, "not_found")
        # a key limited to the second account: its first account is that one, the other is unreachable
        added = await http.post(
            "/_sim/keys", json={"add": {"key": "sk_test_only2", "scope": "trade", "accounts": [ids[1]]}}
        )
        assert added.status_code == 200
    async with sim_http(sim, key="sk_test_only2") as http:
        assert (await http.get("/v1/account")).json()["id"] == ids[1]
        assert [item["id"] for item in (await http.get("/v1/accounts")).json()] == [ids[1]]
        assert_error(await http.get("/v1/account", params={"account_id": ids[0]}), 404, "not_found")
        assert_error(await http.get("/v1/orders", params={"account_id": ids[0]}), 404, "not_found")


async def test_positions_and_pending_orders_fields(sim_paused: RunningSimulator) -> None:
    sim = sim_paused
    async with sim_http(sim, "trade") as http:
        assert (await http.get("/v1/positions")).json() == []
        assert (await http.get("/v1/orders")).json() == []
        quote = (await http.get("/v1/quotes/EURUSD")).json()
        filled = await http.post(
            "/v1/orders",
            json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "sl": round(quote["bid"] - 0.005, 5)},
        )
        assert filled.status_code == 201
        pending = await http.post(
            "/v1/orders",
            json={
                "symbol": "EURUSD",
                "type": "BUY_LIMIT",
                "volume": 0.2,
                "price": round(quote["ask"] - 0.002, 5),
            },
        )
        assert pending.status_code == 201
        positions = (await http.get("/v1/positions")).json()
        orders = (await http.get("/v1/orders")).json()
        account = (await http.get("/v1/account")).json()
    assert len(positions) == 1
    position = positions[0]
    assert_fields(position, POSITION_FIELDS)
    assert position["id"].startswith("pos_") and position["order_id"] == filled.json()["id"]
    assert position["type"] == "BUY" and position["symbol"] == "EURUSD" and position["volume"] == 0.1
    assert position["sl"] == round(quote["bid"] - 0.005, 5) and position["tp"] is None
    assert_numbers(position, "open_price", "profit", "current_price", "swap", "commission", "volume")
    assert is_time(position["opened_at"])
    assert len(orders) == 1
    order = orders[0]
    assert_fields(order, PENDING_FIELDS)
    assert order["id"] == pending.json()["id"] and order["id"].startswith("ord_")
    assert order["status"] == "pending" and order["type"] == "BUY_LIMIT" and order["volume"] == 0.2
    assert order["sl"] is None and order["tp"] is None and is_time(order["created_at"])
    assert account["margin"] > 0 and is_number(account["margin_level"])
    assert_optional_numbers(account, "margin_level")


@pytest.mark.parametrize(
    ("scope", "method", "path", "allowed"),
    [
        ("read-only", "GET", "/v1/account", True),
        ("read-only", "GET", "/v1/orders", True),
        ("read-only", "POST", "/v1/orders", False),
        ("read-only", "PATCH", "/v1/orders/ord_x", False),
        ("read-only", "DELETE", "/v1/orders/ord_x", False),
        ("trade", "POST", "/v1/orders", True),
        ("trade", "PATCH", "/v1/orders/ord_x", True),
        ("trade", "DELETE", "/v1/orders/ord_x", True),
        ("trade", "POST", "/v1/account", False),
        ("full", "POST", "/v1/orders", True),
        ("full", "DELETE", "/v1/orders/ord_x", True),
    ],
)
async def test_scopes_per_method(
    sim_paused: RunningSimulator, scope: str, method: str, path: str, allowed: bool
) -> None:
    sim = sim_paused
    body = {"symbol": "EURUSD", "type": "BUY", "volume": 0.01} if method == "POST" else None
    if method == "PATCH":
        body = {"sl": None}
    async with sim_http(sim, scope) as http:
        response = await http.request(method, path, json=body)
    if allowed:
        assert response.status_code != 403, response.text
        assert response.status_code in (200, 201, 404), response.text  # ord_x does not exist: 404
    else:
        assert_error(response, 403, "forbidden")


async def test_full_key_on_unsupported_method_is_404_in_error_shape(sim: RunningSimulator) -> None:
    async with sim_http(sim, "full") as http:
        assert_error(await http.post("/v1/account"), 404, "not_found")
        assert_error(await http.put("/v1/orders/ord_x", json={}), 404, "not_found")
