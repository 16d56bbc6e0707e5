"""Strict parsing of request bodies and query values into plain Python values, or a 400 SimError."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from fxbot.simulator.errors import SimError


def bad_request(message: str) -> SimError:
    return SimError(400, "bad_request", message)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


async def read_json_object(request: Request, *, empty_ok: bool = False) -> dict[str, Any]:
    """The request body as a JSON object; malformed JSON or another JSON type is a 400 bad_request."""
    raw = await request.body()
    if not raw.strip():
        if empty_ok:
            return {}
        raise bad_request("the request body must be a JSON object")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise bad_request("the request body must be a JSON object")
    return value


def reject_unknown(body: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
    """400 naming the first field that is not among `allowed`."""
    for name in body:
        if name not in allowed:
            raise bad_request(f"unknown field {name!r} in {what}; allowed fields: {', '.join(allowed)}")


def number_field(
    body: dict[str, Any], name: str, *, required: bool = False, nullable: bool = True
) -> float | None:
    """A JSON number field (not a bool, finite); None when absent or null (if allowed)."""
    if name not in body:
        if required:
            raise bad_request(f"field '{name}' is required")
        return None
    value = body[name]
    if value is None:
        if nullable and not required:
            return None
        raise bad_request(f"field '{name}' must be a number, not null")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_request(f"field '{name}' must be a number")
    return float(value)


def string_field(
    body: dict[str, Any], name: str, *, required: bool = False, max_length: int = 256
) -> str | None:
    """A JSON string field; None when absent or null (unless required)."""
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"field '{name}' is required")
        return None
    if not isinstance(value, str):
        raise bad_request(f"field '{name}' must be a string")
    if required and not value.strip():
        raise bad_request(f"field '{name}' must not be empty")
    if len(value) > max_length:
        raise bad_request(f"field '{name}' is longer than {max_length} characters")
    return value


def parse_time(name: str, value: str | None) -> datetime | None:
    """An ISO-8601 query time (`Z` or offset; no zone means UTC) as an aware UTC datetime."""
    if value is None:
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except ValueError:
        raise bad_request(
            f"query parameter '{name}' must be an ISO-8601 time like 2026-04-02T14:30:00Z, not {value!r}"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_range(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """`from`/`to` query values; `from` after `to` is a 400."""
    start_at = parse_time("from", start)
    end_at = parse_time("to", end)
    if start_at is not None and end_at is not None and start_at > end_at:
        raise bad_request("query parameter 'from' is after 'to'")
    return start_at, end_at


def parse_positive_volume(value: str | None) -> float | None:
    """The optional `volume=` of a close; non-numbers are 400 bad_request, <= 0 is 400 invalid_volume."""
    if value is None:
        return None
    try:
        volume = float(value)
    except ValueError:
        raise bad_request(f"query parameter 'volume' must be a number, not {value!r}") from None
    if not math.isfinite(volume):
        raise bad_request("query parameter 'volume' must be a finite number")
    if volume <= 0:
        raise SimError(400, "invalid_volume", f"volume must be greater than 0, not {value}")
    return volume
