"""Strict reading of SDK-face request bodies and query values; each failure is a 400 naming the field."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from fxbot.simulator.sdk_errors import SdkError, invalid


def check_fields(body: dict[str, Any], allowed: Iterable[str], what: str) -> None:
    """400 naming the first unknown field (a misspelt `stop_loss` must never be silently ignored)."""
    names = tuple(allowed)
    for name in body:
        if name not in names:
            raise invalid(f"unknown field {name!r} in {what}; allowed fields: {', '.join(names)}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number(body: dict[str, Any], name: str, *, required: bool = False, positive: bool = False) -> float | None:
    """A finite JSON number (>= 0, or > 0 when `positive`); None when absent or null and not required."""
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"field {name!r} is required")
        return None
    if not _is_number(value):
        raise invalid(f"field {name!r} must be a number, not {value!r}")
    amount = float(value)
    if amount < 0 or (positive and amount == 0):
        raise invalid(f"field {name!r} must be {'greater than 0' if positive else '0 or more'}, not {value!r}")
    return amount


def integer(body: dict[str, Any], name: str, *, required: bool = False, minimum: int = 0) -> int | None:
    """A whole JSON number >= minimum; None when absent or null and not required."""
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"field {name!r} is required")
        return None
    if not _is_number(value) or float(value) != int(value) or int(value) < minimum:
        raise invalid(f"field {name!r} must be a whole number >= {minimum}, not {value!r}")
    return int(value)


def text(body: dict[str, Any], name: str, *, required: bool = False, max_length: int = 256) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"field {name!r} is required")
        return None
    if not isinstance(value, str):
        raise invalid(f"field {name!r} must be a string, not {value!r}")
    if required and not value.strip():
        raise invalid(f"field {name!r} must not be empty")
    if len(value) > max_length:
        raise invalid(f"field {name!r} is longer than {max_length} characters")
    return value


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"field {name!r} must be true or false, not {value!r}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


async def read_object(request: Request, *, empty_ok: bool = False) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}` when `empty_ok`."""
    raw = await request.body()
    if not raw.strip():
        if empty_ok:
            return {}
        raise invalid("the request body must be a JSON object")
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise invalid("the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise invalid("the request body must be a JSON object")
    return value


def query(request: Request, name: str, *, required: bool = False) -> str | None:
    value = request.query_params.get(name)
    if value is None or not value.strip():
        if required:
            raise invalid(f"query parameter {name!r} is required")
        return None
    return value


def query_number(request: Request, name: str, *, positive: bool = True) -> float:
    raw = query(request, name, required=True)
    assert raw is not None
    try:
        value = float(raw)
    except ValueError:
        raise invalid(f"query parameter {name!r} must be a number, not {raw!r}") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise invalid(f"query parameter {name!r} must be {'greater than 0' if positive else '0 or more'}")
    return value


def with_code(error: SdkError, code: str, where: str) -> SdkError:
    """The same refusal under another code and with context (a batch leg's validation failure)."""
    return SdkError(error.status, code, f"{where}: {error.message}")
