"""SDK-face refusals and their envelopes: management `{error, detail}`, terminal `{error, message, command_id}`."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

MANAGEMENT_PREFIX = "/sdk/v1"
TERMINAL_PREFIX = "/sdk/t/"
VALIDATION = "MRPC_VALIDATION"
TIMEOUT = "MRPC_TIMEOUT"


class SdkError(Exception):
    """A refused SDK-face request: HTTP `status` with `code` and a sentence saying what was wrong."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"SdkError({self.status}, {self.code!r}, {self.message!r})"


def invalid(message: str) -> SdkError:
    """A request the terminal refuses as malformed (400 MRPC_VALIDATION): nothing was done."""
    return SdkError(400, VALIDATION, message)


class CommandIds:
    """The terminal's `command_id` counter (one per face)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def next(self) -> int:
        return next(self._ids)


def is_management(path: str) -> bool:
    return path == MANAGEMENT_PREFIX or path.startswith(MANAGEMENT_PREFIX + "/")


def error_body(path: str, code: str, message: str, command_id: int) -> dict[str, object]:
    """The error envelope of the API the path belongs to."""
    if is_management(path):
        return {"error": code, "detail": message}
    return {"error": code, "message": message, "command_id": command_id}


def error_response(
    path: str, status: int, code: str, message: str, command_id: int, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse(
        error_body(path, code, message, command_id), status_code=status, headers=dict(headers or {})
    )


def install_sdk_error_handler(app: FastAPI, command_ids: CommandIds) -> None:
    """Answer every SdkError raised by an SDK route in its API's envelope."""

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SdkError)
        return error_response(
            request.url.path, exc.status, exc.code, exc.message, command_ids.next(), exc.headers
        )

    app.add_exception_handler(SdkError, handle)
