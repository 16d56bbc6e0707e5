"""Management API of the SDK face (`/sdk/v1`): the key's accounts with their terminal URLs, and batch trading."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from fxbot.simulator.auth import KeyRecord
from fxbot.simulator.sdk_batch import BatchDesk
from fxbot.simulator.sdk_batch_parse import parse_close_batch, parse_order_batch
from fxbot.simulator.sdk_errors import SdkError
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.sdk_idempotency import fingerprint
from fxbot.simulator.sdk_parsing import read_object, with_code
from fxbot.simulator.sdk_terminal import face_of
from fxbot.simulator.wire_time import iso_z

router = APIRouter(prefix="/sdk/v1")


def _record(request: Request) -> KeyRecord:
    record = request.state.sdk_record
    assert isinstance(record, KeyRecord)
    return record


def _key(request: Request) -> str:
    key = request.state.sdk_key
    assert isinstance(key, str)
    return key


def terminal_urls(request: Request, account_id: str) -> tuple[str, str]:
    """(rest_url, ws_url) of an account's terminal on this same server, as the client reached it."""
    base = str(request.base_url).rstrip("/")
    rest = f"{base}/sdk/t/{account_id}"
    return rest, "ws" + rest[len("http") :] + "/ws"


def account_json(request: Request, face: SdkFace, item: dict[str, Any], index: int, count: int) -> dict[str, Any]:
    """An Account: engine accounts, in their order, created a day apart before the simulator started."""
    rest_url, ws_url = terminal_urls(request, str(item["id"]))
    created = face.started_at - timedelta(days=count - index)
    return {
        "id": item["id"], "nickname": item["name"], "platform": str(item["platform"]).lower(),
        "server": item["broker"], "login": item["login"], "status": item["status"], "error": "",
        "rest_url": rest_url, "ws_url": ws_url, "proxy_address": "", "proxy_type": "", "proxy_local_port": None,
        "trade_ea_symbol": "", "created_at": iso_z(created),
    }  # fmt: skip


def _accounts(request: Request) -> list[dict[str, Any]]:
    face = face_of(request)
    items = face.engine.accounts_list()
    reachable = set(face.state.reachable_accounts(_record(request)))
    return [
        account_json(request, face, item, index, len(items))
        for index, item in enumerate(items)
        if item["id"] in reachable
    ]


@router.get("/accounts")
async def list_accounts(request: Request) -> list[dict[str, Any]]:
    """The key's accounts (a `selected` read-only key sees only its own), as a bare array."""
    return _accounts(request)


@router.get("/accounts/{account_id}")
async def get_account(account_id: str, request: Request) -> dict[str, Any]:
    for account in _accounts(request):
        if account["id"] == account_id:
            return account
    raise SdkError(404, "not_found", f"account {account_id!r} not found")


async def _keyed(
    request: Request, body: dict[str, Any], run: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Run a batch once per Idempotency-Key (15 minutes): a replay gets the stored answer, nothing runs again."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return await run()
    batches = face_of(request).book.batches
    owner = fingerprint("owner", _key(request))
    stored = batches.begin(owner, key, fingerprint(request.url.path, body))
    if stored is not None:
        return stored
    try:
        answer = await run()
    except BaseException:
        batches.abandon(owner, key)
        raise
    batches.finish(owner, key, answer)
    return answer


async def _read_batch(request: Request) -> dict[str, Any]:
    try:
        return await read_object(request)
    except SdkError as exc:
        raise _as_batch_error(exc) from None


@router.post("/orders")
async def send_orders(request: Request) -> dict[str, Any]:
    """One order per leg, each on its account's terminal; 200 with a positional result per leg."""
    body = await _read_batch(request)

    async def run() -> dict[str, Any]:
        try:
            legs, require_reachable = parse_order_batch(body)
        except SdkError as exc:
            raise _as_batch_error(exc) from None
        desk = BatchDesk(face_of(request), _record(request))
        desk.check_accounts([leg.account_id for leg in legs], require_reachable)
        return desk.send(legs)

    return await _keyed(request, body, run)


@router.post("/orders/close")
async def close_orders(request: Request) -> dict[str, Any]:
    """Close by selector or tickets on each account; 200 with one result per account, in request order."""
    body = await _read_batch(request)

    async def run() -> dict[str, Any]:
        try:
            legs, require_reachable = parse_close_batch(body)
        except SdkError as exc:
            raise _as_batch_error(exc) from None
        desk = BatchDesk(face_of(request), _record(request))
        desk.check_accounts([leg.account_id for leg in legs], require_reachable)
        return desk.close(legs)

    return await _keyed(request, body, run)


def _as_batch_error(exc: SdkError) -> SdkError:
    return exc if exc.code != "MRPC_VALIDATION" else with_code(exc, "invalid_batch", "batch")
