"""Decodes FxSocket stream text frames into typed events; never raises on bad input.

Quote frames are most of the stream, so they take a fast path: `orjson` parses the text and a
quote whose fields have exactly the wire types (string symbol, numeric bid/ask/spread, an ISO 8601
time) is built by reading those fields directly; anything else (and every other frame type) goes
through the pydantic models, so what is accepted or refused is the same either way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from pydantic import ValidationError

from fxbot.fxsocket.events import (
    ORDER_EVENT_KINDS,
    AccountUpdateEvent,
    OrderEvent,
    OrderEventData,
    OrderEventKind,
    QuoteEvent,
    StreamErrorEvent,
    StreamEvent,
    SubscriptionEvent,
)
from fxbot.fxsocket.models import Account, Quote

logger = logging.getLogger(__name__)

_PREVIEW = 200

MalformedHook = Callable[[str], None]
"""Called with the frame type of an order or account frame that could not be read (its event is lost)."""


def _symbols(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return tuple(value)
    return None


_set_attr = object.__setattr__
_new_event = object.__new__


def fast_quote(data: dict[str, Any]) -> Quote | None:
    """The Quote of a quote frame's data when every field has its plain wire type (what
    `Quote.model_validate(data)` gives, without the validator); None when the models must judge it."""
    symbol, time = data.get("symbol"), data.get("time")
    bid: Any = data.get("bid")
    ask: Any = data.get("ask")
    if type(symbol) is not str or type(time) is not str or not 19 <= len(time) <= 32 or time[10] != "T":
        return None
    kind_bid, kind_ask = type(bid), type(ask)
    if (kind_bid is not float and kind_bid is not int) or (kind_ask is not float and kind_ask is not int):
        return None
    spread: float | int | None = data.get("spread")
    if spread is not None and type(spread) is not float and type(spread) is not int:
        return None
    try:
        moment = datetime.fromisoformat(time)
    except ValueError:
        return None
    zone = moment.tzinfo
    if zone is None:
        moment = moment.replace(tzinfo=UTC)
    elif zone is not UTC:
        moment = moment.astimezone(UTC)
    quote = Quote.__new__(Quote)
    _set_attr(quote, "__dict__", {"symbol": symbol, "bid": float(bid), "ask": float(ask),
                                  "spread": None if spread is None else float(spread), "time": moment})
    fields = {"symbol", "bid", "ask", "spread", "time"} if "spread" in data else {"symbol", "bid", "ask", "time"}
    _set_attr(quote, "__pydantic_fields_set__", fields)
    _set_attr(quote, "__pydantic_extra__", None)
    _set_attr(quote, "__pydantic_private__", None)
    return quote


def _decode(kind: str, data: dict[str, Any]) -> StreamEvent | None:
    if kind == "quote":
        return QuoteEvent(fast_quote(data) or Quote.model_validate(data))
    if kind in ORDER_EVENT_KINDS:
        order = OrderEventData.model_validate(data)
        return OrderEvent(cast(OrderEventKind, kind), order.account_id, order)
    if kind == "account_update":
        account = Account.model_validate(data)
        account_id = data.get("account_id")
        return AccountUpdateEvent(account_id if isinstance(account_id, str) else account.id, account)
    if kind in ("subscribed", "unsubscribed"):
        channel = data.get("channel")
        return SubscriptionEvent(kind == "subscribed", channel if isinstance(channel, str) else "",
                                 _symbols(data.get("symbols")))
    if kind == "error":
        return StreamErrorEvent(str(data.get("error") or "error"), str(data.get("message") or ""))
    logger.debug("fxsocket stream: skipping frame of unknown type %r", kind)
    return None


def decode_frame(frame: str | bytes, on_malformed: MalformedHook | None = None) -> StreamEvent | None:
    """The event of one server frame, or None for unknown or malformed frames.

    Skipped frames are logged at debug, except malformed order and account frames: their event is
    lost, so they are logged at warning and reported to `on_malformed(frame type)` (the caller
    reconciles over REST)."""
    if type(frame) is not str and isinstance(frame, bytes | bytearray | memoryview):
        logger.debug("fxsocket stream: skipping binary frame of %d bytes", len(frame))
        return None
    try:
        message = orjson.loads(frame)
    except orjson.JSONDecodeError:
        try:  # what orjson refuses and the standard library reads (NaN, lone surrogates) is read as before
            message = json.loads(frame)
        except ValueError:
            logger.debug("fxsocket stream: skipping non-JSON frame %r", frame[:_PREVIEW])
            return None
    if not isinstance(message, dict):
        logger.debug("fxsocket stream: skipping frame that is not an object: %r", frame[:_PREVIEW])
        return None
    kind = message.get("type")
    data = message.get("data", {})
    if kind == "quote" and type(data) is dict:  # the hot path: _decode() inlined for a quote with its wire types
        quote = fast_quote(data)
        if quote is not None:
            event = _new_event(QuoteEvent)
            _set_attr(event, "quote", quote)
            return event
    if not isinstance(kind, str) or not isinstance(data, dict):
        logger.debug("fxsocket stream: skipping frame without type/data: %r", frame[:_PREVIEW])
        return None
    try:
        return _decode(kind, data)
    except ValidationError as exc:
        if kind in ORDER_EVENT_KINDS or kind == "account_update":
            logger.warning("fxsocket stream: dropped a malformed %r frame (%s): %r",
                           kind, _first_error(exc), frame[:_PREVIEW])
            if on_malformed is not None:
                on_malformed(kind)
        else:
            logger.debug("fxsocket stream: skipping malformed %r frame (%d errors): %r",
                         kind, exc.error_count(), frame[:_PREVIEW])
        return None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "frame"
    return f"{where}: {error.get('msg', 'invalid')}" + (f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1
                                                          else "")
