"""/_sim/ control routes (no key): set quotes, pause/close the market, inject faults, manage keys, reset."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from fxbot.domain.access import Scope
from fxbot.simulator.auth import key_scope_problem
from fxbot.simulator.errors import SimError
from fxbot.simulator.faults import parse_fault_request
from fxbot.simulator.request_parsing import bad_request, number_field, read_json_object, reject_unknown
from fxbot.simulator.state import SimState, state_of

router = APIRouter(prefix="/_sim")

_SCOPES = tuple(scope.value for scope in Scope)


def _switches(state: SimState) -> dict[str, Any]:
    return {"paused": state.paused, "closed": state.market_closed}


@router.post("/quotes/{symbol}")
async def set_quote(symbol: str, request: Request) -> dict[str, Any]:
    body = await read_json_object(request)
    reject_unknown(body, ("bid", "ask"), "a quote")
    bid = number_field(body, "bid", required=True)
    ask = number_field(body, "ask")
    assert bid is not None
    state = state_of(request)
    quote, events = state.engine.set_quote(symbol, bid, ask, state.now())
    state.publish(events)
    return quote


@router.get("/market")
async def get_market(request: Request) -> dict[str, Any]:
    return _switches(state_of(request))


@router.post("/market")
async def set_market(request: Request) -> dict[str, Any]:
    body = await read_json_object(request)
    reject_unknown(body, ("paused", "closed"), "a market switch")
    if not body:
        raise bad_request('send {"paused": true|false} and/or {"closed": true|false}')
    for name, value in body.items():
        if not isinstance(value, bool):
            raise bad_request(f"field '{name}' must be true or false")
    state = state_of(request)
    if "paused" in body:
        state.paused = body["paused"]
    if "closed" in body:
        state.set_market_closed(body["closed"])
    return _switches(state)


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    return state_of(request).faults.snapshot()


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    body = await read_json_object(request, empty_ok=True)
    state = state_of(request)
    fault_request = parse_fault_request(body, state.engine.account_ids())
    state.apply_faults(fault_request)
    return state.faults.snapshot()


def _parse_accounts(value: Any, known: list[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request("'accounts' must be a list of account ids")
    for account_id in value:
        if account_id not in known:
            raise SimError(404, "not_found", f"account {account_id!r} not found")
    return tuple(value)


@router.post("/keys")
async def manage_keys(request: Request) -> dict[str, Any]:
    body = await read_json_object(request)
    reject_unknown(body, ("add", "revoke"), "a key change")
    if not body:
        raise bad_request('send {"revoke": "<key>"} or {"add": {"key": "…", "scope": "trade"}}')
    state = state_of(request)
    to_revoke = body.get("revoke")
    if "revoke" in body and (not isinstance(to_revoke, str) or not to_revoke):
        raise bad_request("'revoke' must be a key string")
    adding: tuple[str, Scope, tuple[str, ...] | None] | None = None
    if "add" in body:
        spec = body["add"]
        if not isinstance(spec, dict):
            raise bad_request('\'add\' must be an object {"key": "…", "scope": "…"}')
        reject_unknown(spec, ("key", "scope", "accounts"), "'add'")
        key, scope = spec.get("key"), spec.get("scope")
        if not isinstance(key, str) or not key or any(ch.isspace() for ch in key) or len(key) > 256:
            raise bad_request("'add.key' must be a non-empty string without spaces")
        if scope not in _SCOPES:
            raise bad_request(f"'add.scope' must be one of {', '.join(_SCOPES)}")
        if state.keys.contains(key):
            raise bad_request("that key already exists")
        if mismatch := key_scope_problem(key, Scope(scope)):
            raise bad_request(mismatch)
        adding = (key, Scope(scope), _parse_accounts(spec.get("accounts"), state.engine.account_ids()))
    if isinstance(to_revoke, str) and state.keys.lookup_any(to_revoke) is None:
        raise SimError(404, "not_found", "no live key matches the one to revoke")
    answer: dict[str, Any] = {}
    if isinstance(to_revoke, str):
        answer["revoked"] = state.revoke_key(to_revoke)
    if adding is not None:
        state.keys.add(*adding)
        answer["added"] = {
            "scope": adding[1].value,
            "accounts": None if adding[2] is None else list(adding[2]),
        }
    return answer


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    state = state_of(request)
    state.reset()
    return {"reset": True, "seed": state.seed, **_switches(state)}
