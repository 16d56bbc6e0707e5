"""Terminal REST of the SDK face, terminal side: AccountInfo, `/status` health and the `/healthz` `/livez` probes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from fxbot.simulator.ledger import STOP_OUT_LEVEL
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.sdk_terminal import account_of, face_of

router = APIRouter(prefix="/sdk/t/{account_id}")

BRIDGE_VERSION = "0.14.0"
_BUILDS = {"MT4": 1440, "MT5": 4755}
# account status -> /status `status`
_HEALTH = {"connected": "ready", "connecting": "starting", "disconnected": "down"}


def _account_row(face: SdkFace, account_id: str) -> dict[str, Any]:
    for item in face.engine.accounts_list():
        if item["id"] == account_id:
            return item
    raise KeyError(account_id)  # the gate only lets known accounts through


@router.get("/AccountInfo")
async def get_account_info(request: Request) -> dict[str, Any]:
    face = face_of(request)
    account_id = account_of(request)
    row = _account_row(face, account_id)
    snapshot = face.engine.account(account_id)
    connected = row["status"] == "connected"
    return {
        "name": row["name"], "login": row["login"], "server": row["broker"], "company": f"{row['broker']} (simulated)",
        "currency": snapshot["currency"], "currencyDigits": 2, "leverage": snapshot["leverage"], "type": "Demo",
        "marginMode": "Hedging" if face.mt4(account_id) else "RetailHedging", "marginSoMode": "Percent",
        "marginCallLevel": 100.0, "stopOutLevel": STOP_OUT_LEVEL,
        "tradeAllowed": connected and not face.engine.market_closed, "tradeExpert": True, "limitOrders": 200,
        "fifoClose": False,
    }  # fmt: skip


@router.get("/status")
async def get_status(request: Request) -> dict[str, Any]:
    """Health: always HTTP 200; `status` and the parts say what is down."""
    face = face_of(request)
    account_id = account_of(request)
    row = _account_row(face, account_id)
    connected = row["status"] == "connected"
    return {
        "status": _HEALTH.get(str(row["status"]), "down"),
        "terminal": {"alive": True, "build": _BUILDS.get(str(row["platform"]), 0), "pingMs": 12},
        "broker": {"connected": connected, "server": row["broker"]},
        "account": {"loggedIn": connected, "login": row["login"], "currency": row["currency"] if connected else "",
                    "type": "Demo" if connected else "",
                    "tradeAllowed": connected and not face.engine.market_closed},
        "bridge": {"version": BRIDGE_VERSION, "tradeEaReady": connected,
                   "tradeEaHeartbeatAgeMs": 250 if connected else -1, "symbolsSynced": True},
        "serverTime": face.clock.render(face.state.now()),
    }  # fmt: skip


def _checks(face: SdkFace, account_id: str, *, liveness: bool) -> JSONResponse:
    connected = face.engine.account_status(account_id) == "connected"
    healthy = liveness or connected
    body = {"status": "ok" if healthy else "unavailable", "terminal": True, "broker": connected, "account": connected}
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/healthz")
async def get_healthz(request: Request) -> JSONResponse:
    """Readiness: 503 (same body shape) while the terminal is not connected to its broker."""
    return _checks(face_of(request), account_of(request), liveness=False)


@router.get("/livez")
async def get_livez(request: Request) -> JSONResponse:
    """Liveness: the terminal process answers, so always 200."""
    return _checks(face_of(request), account_of(request), liveness=True)
