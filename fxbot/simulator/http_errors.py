"""The one error shape of the simulator ({"error","message"}) and the FastAPI handlers that produce it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from fxbot.simulator.errors import SimError

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    429: "rate_limited",
    500: "internal_error",
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer {"error": code, "message": message} with the given status."""
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=dict(headers or {}))


def _location(loc: Sequence[Any]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("query", "path", "header", "body"):
        where, rest = parts[0], parts[1:]
        name = ".".join(rest) if rest else "body"
        label = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "field"}[
            where
        ]
        return f"{label} '{name}'"
    return "'" + ".".join(parts) + "'"


def validation_message(errors: Sequence[Any]) -> str:
    """One sentence naming the first failing field, e.g. "query parameter 'limit': Input should be …"."""
    if not errors:
        return "the request is not valid"
    first = errors[0]
    if not isinstance(first, Mapping):
        return "the request is not valid"
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON"
    msg = str(first.get("msg", "is not valid"))
    return f"{_location(first.get('loc', ()))}: {msg}"


async def _sim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SimError)
    return error_response(exc.status, exc.code, exc.message)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, "bad_request", validation_message(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (404, 405):
        # 405 is not part of the contract: an unsupported method is answered as "no such endpoint".
        return error_response(404, "not_found", f"no endpoint {request.method} {request.url.path}")
    code = _CODE_BY_STATUS.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
    status = (
        exc.status_code if exc.status_code in _CODE_BY_STATUS else (400 if exc.status_code < 500 else 500)
    )
    return error_response(status, code, str(exc.detail))


def install_error_handlers(app: FastAPI) -> None:
    """Route every framework and simulator error into the contract's error shape."""
    app.add_exception_handler(SimError, _sim_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
