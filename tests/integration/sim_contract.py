"""Wire-contract expectations of FXSOCKET_V1.md shared by the simulator contract tests (raw JSON checks)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from fxbot.simulator.runner import RunningSimulator

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

ACCOUNT_FIELDS = {
    "id",
    "balance",
    "equity",
    "margin",
    "free_margin",
    "currency",
    "margin_level",
    "leverage",
    "profit",
}
ACCOUNTS_ITEM_FIELDS = {"id", "broker", "platform", "status", "login", "name", "currency"}
POSITION_FIELDS = {
    "id",
    "symbol",
    "type",
    "volume",
    "open_price",
    "sl",
    "tp",
    "profit",
    "order_id",
    "current_price",
    "swap",
    "commission",
    "opened_at",
}
PENDING_FIELDS = {"id", "symbol", "type", "volume", "price", "sl", "tp", "status", "created_at"}
PLACED_FILLED_FIELDS = {
    "id",
    "symbol",
    "type",
    "volume",
    "price",
    "status",
    "position_id",
    "sl",
    "tp",
    "created_at",
}
PLACED_PENDING_FIELDS = {"id", "symbol", "type", "volume", "price", "status", "sl", "tp", "created_at"}
QUOTE_FIELDS = {"symbol", "bid", "ask", "spread", "time"}
CANDLE_FIELDS = {"time", "open", "high", "low", "close", "volume"}
TRADE_FIELDS = {
    "id",
    "symbol",
    "type",
    "volume",
    "profit",
    "closed_at",
    "commission",
    "swap",
    "open_price",
    "close_price",
    "opened_at",
    "order_id",
    "position_id",
    "reason",
}
ERROR_FIELDS = {"error", "message"}
# Fields the simulator sends beyond the contract's list (clients must ignore unknown fields).
TOLERATED_EXTRAS = {"comment"}


def assert_fields(obj: dict[str, Any], expected: set[str]) -> None:
    """Every contract field is present and nothing else but the tolerated extras."""
    missing = expected - set(obj)
    extra = set(obj) - expected - TOLERATED_EXTRAS
    assert not missing and not extra, (sorted(missing), sorted(extra), obj)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def sim_http(sim: RunningSimulator, scope: str | None = None, *, key: str | None = None) -> httpx.AsyncClient:
    """An (unopened) HTTP client on the simulator sending the key of `scope`, an explicit `key`, or none."""
    if scope is not None:
        key = sim.keys[scope]
    return httpx.AsyncClient(base_url=sim.base_url, headers=auth(key) if key is not None else None)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_time(value: Any) -> bool:
    return isinstance(value, str) and ISO_Z.match(value) is not None


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is exactly {"error": code, "message": <non-empty sentence>} with that status."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == ERROR_FIELDS, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    return dict(body)


def assert_numbers(obj: dict[str, Any], *names: str) -> None:
    for name in names:
        assert is_number(obj[name]), (name, obj[name])


def assert_optional_numbers(obj: dict[str, Any], *names: str) -> None:
    for name in names:
        assert obj[name] is None or is_number(obj[name]), (name, obj[name])
