"""Client -> server stream messages (subscribe/unsubscribe) applied to one connection's subscriptions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fxbot.simulator.errors import SimError
from fxbot.simulator.stream_hub import StreamConnection

CHANNELS = ("quotes", "orders", "account")
ACTIONS = ("subscribe", "unsubscribe")
_FIELDS = ("action", "channel", "symbols", "account_id")


def _bad(message: str) -> SimError:
    return SimError(400, "bad_request", message)


def _symbols(message: dict[str, Any], canonical: Callable[[str], str], required: bool) -> list[str] | None:
    if "symbols" not in message or message["symbols"] is None:
        if required:
            raise _bad('a quotes subscription needs "symbols": ["EURUSD", …]')
        return None
    raw = message["symbols"]
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) for item in raw):
        raise _bad('"symbols" must be a non-empty list of symbol names')
    result: list[str] = []
    for name in raw:
        symbol = canonical(name)  # raises SimError(404) for an unknown symbol
        if symbol not in result:
            result.append(symbol)
    return result


def handle_message(
    connection: StreamConnection,
    text: str,
    *,
    canonical_symbol: Callable[[str], str],
    select_account: Callable[[str | None], str],
) -> tuple[str, dict[str, Any]]:
    """Apply one client message; the (type, data) frame to answer. Bad input changes nothing.

    canonical_symbol maps a symbol to its canonical name (SimError 404 when unknown);
    select_account resolves an optional account_id for this connection's key (SimError 404).
    """
    try:
        try:
            message = json.loads(text)
        except ValueError:
            raise _bad("the message is not valid JSON") from None
        if not isinstance(message, dict):
            raise _bad("the message must be a JSON object")
        for name in message:
            if name not in _FIELDS:
                raise _bad(f"unknown field {name!r}; allowed fields: {', '.join(_FIELDS)}")
        action, channel = message.get("action"), message.get("channel")
        if action not in ACTIONS:
            raise _bad(f"unknown action {action!r}; use subscribe or unsubscribe")
        if channel not in CHANNELS:
            raise _bad(f"unknown channel {channel!r}; channels: {', '.join(CHANNELS)}")
        account_id = message.get("account_id")
        if account_id is not None and not isinstance(account_id, str):
            raise _bad('"account_id" must be a string')
        subscribing = action == "subscribe"
        ack = "subscribed" if subscribing else "unsubscribed"
        if channel == "quotes":
            symbols = _symbols(message, canonical_symbol, required=subscribing)
            if subscribing:
                assert symbols is not None
                connection.quote_symbols.update(symbols)
            elif symbols is None:
                symbols = sorted(connection.quote_symbols)
                connection.quote_symbols.clear()
            else:
                connection.quote_symbols.difference_update(symbols)
            return ack, {"channel": channel, "symbols": symbols}
        if "symbols" in message:
            raise _bad(f'"symbols" only applies to the quotes channel, not {channel}')
        account = select_account(account_id)
        target = connection.order_accounts if channel == "orders" else connection.account_accounts
        if subscribing:
            target.add(account)
        else:
            target.discard(account)
        return ack, {"channel": channel, "account_id": account}
    except SimError as exc:
        return "error", {"error": exc.code, "message": exc.message}
