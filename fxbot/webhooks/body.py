"""Reading a webhook body: command lines as typed in chat, or JSON {"command", "id", "secret"}; TradingView
symbols ("FX:EURUSD", "OANDA:XAUUSD") become ours."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_LINES = 10
MAX_LINE = 300
_EXCHANGE_SYMBOL = re.compile(r"(?<![\w:])[A-Za-z][A-Za-z0-9_]{0,19}:([A-Za-z][A-Za-z0-9]{2,11})(?:\.[A-Za-z]+)?\b")
_UNFILLED = re.compile(r"\{\{[^}]*\}\}")


class MalformedBody(ValueError):
    """The body cannot be read as commands; the message says why (sent back with a 400)."""


@dataclass(frozen=True, slots=True)
class WebhookBody:
    """The commands of one request, in order, with the sender's request id and shared secret if given."""

    commands: tuple[str, ...]
    request_id: str | None = None
    secret: str | None = None


def map_symbols(line: str) -> str:
    """TradingView's exchange-qualified tickers as our symbols: "FX:EURUSD" → "EURUSD"."""
    return _EXCHANGE_SYMBOL.sub(lambda match: match.group(1).upper(), line)


def _command_lines(text: str) -> tuple[str, ...]:
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if len(line) > MAX_LINE:
            raise MalformedBody(f"a command line is longer than {MAX_LINE} characters")
        if _UNFILLED.search(line):
            raise MalformedBody(f"unfilled placeholder in {line[:60]!r} — TradingView leaves {{{{…}}}} as is "
                                "when the alert cannot fill it")
        line = map_symbols(line)
        lines.append(line if line.startswith("/") else "/" + line)
    if not lines:
        raise MalformedBody("no command: send a command line such as 'buy EURUSD 0.1 sl=20p tp=40p'")
    if len(lines) > MAX_LINES:
        raise MalformedBody(f"at most {MAX_LINES} commands per request (got {len(lines)})")
    return tuple(lines)


def _optional_text(payload: dict[str, object], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "id":
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise MalformedBody(f'"{key}" must be a non-empty string')
    if len(value) > 200:
        raise MalformedBody(f'"{key}" is longer than 200 characters')
    return value.strip()


def parse_body(raw: bytes) -> WebhookBody:
    """The commands in a request body; raises MalformedBody with the reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedBody("the body is not UTF-8 text") from None
    stripped = text.strip()
    if not stripped.startswith("{"):
        return WebhookBody(commands=_command_lines(text))
    try:
        payload = json.loads(stripped)
    except json.JSONDecodeError as error:
        raise MalformedBody(f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if not isinstance(payload, dict):
        raise MalformedBody("the JSON body must be an object")
    unknown = sorted(set(payload) - {"command", "id", "secret"})
    if unknown:
        raise MalformedBody(f"unknown JSON field(s): {', '.join(unknown)} — use command, id and secret")
    command = payload.get("command")
    if not isinstance(command, str):
        raise MalformedBody('the JSON body needs "command": a command line such as "buy EURUSD 0.1"')
    return WebhookBody(commands=_command_lines(command), request_id=_optional_text(payload, "id"),
                       secret=_optional_text(payload, "secret"))
