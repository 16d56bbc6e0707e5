"""Decodes FxSocket stream text frames into typed events; never raises on bad input."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, cast

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


def _decode(kind: str, data: dict[str, Any]) -> StreamEvent | None:
    if kind == "quote":
        return QuoteEvent(Quote.model_validate(data))
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
    if isinstance(frame, bytes | bytearray | memoryview):
        logger.debug("fxsocket stream: skipping binary frame of %d bytes", len(frame))
        return None
    try:
        message = json.loads(frame)
    except ValueError:
        logger.debug("fxsocket stream: skipping non-JSON frame %r", frame[:_PREVIEW])
        return None
    if not isinstance(message, dict):
        logger.debug("fxsocket stream: skipping frame that is not an object: %r", frame[:_PREVIEW])
        return None
    kind = message.get("type")
    data = message.get("data", {})
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
