"""Typed errors of the FxSocket client and the mapping from HTTP error answers to them."""

from __future__ import annotations

import json
from typing import Any


class FxSocketError(Exception):
    """Base of every error the FxSocket client raises; never carries the API key."""

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class InvalidArgumentError(FxSocketError, ValueError):
    """A call was refused by the client before anything was sent (empty id, nothing to change, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_argument", message)


class ApiError(FxSocketError):
    """The API answered with an error status and (normally) a `{"error", "message"}` body."""


class BadRequestError(ApiError):
    """HTTP 400: malformed or refused request; nothing changed. Check `.code` for the reason."""


class UnauthorizedError(ApiError):
    """HTTP 401: missing, unknown or revoked API key."""


class ForbiddenError(ApiError):
    """HTTP 403: the key's scope does not allow this call."""


class NotFoundError(ApiError):
    """HTTP 404: unknown order, position, account or symbol."""


class RateLimitedError(ApiError):
    """HTTP 429: over the per-account rate limit; `.retry_after` seconds to wait."""

    def __init__(
        self, code: str, message: str, *, status: int | None = 429, retry_after: float = 1.0
    ) -> None:
        super().__init__(code, message, status=status)
        self.retry_after = retry_after


class ServerError(ApiError):
    """HTTP 5xx on a read: the server failed (reads are retried before this is raised)."""


class UnexpectedResponseError(FxSocketError):
    """A successful answer to a read whose body is not what the contract describes."""


class ConnectionFailedError(FxSocketError):
    """The API could not be reached; the request was surely not executed."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__("connection_failed", message)
        self.method = method
        self.path = path


class OutcomeUnknownError(FxSocketError):
    """A write (POST/PATCH/DELETE) may or may not have taken effect; never retry it blindly."""

    def __init__(self, detail: str, *, method: str, path: str, status: int | None = None) -> None:
        message = (
            f"{method} {path}: {detail}. The request may or may not have taken effect; "
            "check the account (positions, orders, history) before trying again — do not retry blindly."
        )
        super().__init__("outcome_unknown", message, status=status)
        self.method = method
        self.path = path


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
}

_DEFAULT_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    429: "rate_limited",
    500: "internal_error",
}


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """Seconds from a `Retry-After` header (delta-seconds form); `default` when absent or unreadable."""
    if value is None:
        return default
    try:
        seconds = float(value.strip())
    except ValueError:
        return default
    if seconds != seconds or seconds < 0:  # NaN or negative
        return default
    return seconds


def _read_error_body(body: bytes) -> tuple[str | None, str | None]:
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    code = data.get("error")
    message = data.get("message")
    return (code if isinstance(code, str) and code else None, message if isinstance(message, str) else None)


def error_from_response(status: int, body: bytes, *, retry_after: str | None = None) -> ApiError:
    """The typed error for a non-2xx answer (`status`, raw `body`, `Retry-After` header value)."""
    code, message = _read_error_body(body)
    code = code or _DEFAULT_CODES.get(status) or ("internal_error" if status >= 500 else f"http_{status}")
    message = message or f"the API answered HTTP {status}"
    if status == 429:
        return RateLimitedError(code, message, status=status, retry_after=parse_retry_after(retry_after))
    if status >= 500:
        return ServerError(code, message, status=status)
    return _BY_STATUS.get(status, ApiError)(code, message, status=status)
