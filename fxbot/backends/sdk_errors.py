"""What the official SDK raises, and MetaTrader trade retcodes, as broker-port errors (the one translation table).

Reads and writes differ: after a write may have reached the terminal (a timeout, a 504, a 5xx, an
unreadable answer) its outcome is unknown and it must never be resent; a read's failure changes nothing.
Messages never carry an API key (they are passed through `redact_secrets` as well).
"""

from __future__ import annotations

import json

import fxsocket
import httpx
import pydantic

from fxbot.domain.broker import errors as port
from fxbot.domain.redaction import redact_secrets

# --- MetaTrader 5 trade server return codes (OrderSend / OrderModify / OrderClose / CloseAll)

PLACED = 10008
DONE = 10009
DONE_PARTIAL = 10010
NO_CHANGES = 10025
NO_CONNECTION = 10031
SUCCESS = frozenset({PLACED, DONE})

#: Retcode -> the port's rejection code (REJECTION_CODES); any other retcode is `rejected`.
RETCODE_CODES: dict[int, str] = {
    10004: "price_changed",  # requote
    10006: "rejected",
    10007: "rejected",  # cancelled by the trader
    10011: "rejected",  # request processing error
    10012: "rejected",  # cancelled by timeout (not executed)
    10013: "bad_request",  # invalid request
    10014: "invalid_volume",
    10015: "invalid_price",
    10016: "invalid_stops",
    10017: "trading_disabled",
    10018: "market_closed",
    10019: "insufficient_margin",
    10020: "price_changed",  # prices changed
    10021: "price_changed",  # no quotes to process the request
    10022: "bad_request",  # invalid expiration
    10023: "rejected",  # order state changed
    10024: "rejected",  # too frequent requests
    10026: "trading_disabled",  # autotrading disabled by the server
    10027: "trading_disabled",  # autotrading disabled by the terminal
    10028: "rejected",  # locked for processing
    10029: "rejected",  # order or position frozen
    10030: "bad_request",  # unsupported filling type
    NO_CONNECTION: "account_disconnected",
    10032: "rejected",  # only for live accounts
    10033: "rejected",  # pending order limit reached
    10034: "invalid_volume",  # volume limit for the symbol reached
    10035: "bad_request",  # invalid or prohibited order type
    10036: "rejected",  # position already closed
    10038: "invalid_volume",  # close volume exceeds the position
    10039: "rejected",  # a close order already exists
    10040: "rejected",  # position limit reached
    10041: "rejected",  # pending activation rejected
    10042: "trading_disabled",  # only long positions allowed
    10043: "trading_disabled",  # only short positions allowed
    10044: "trading_disabled",  # only closing allowed
    10045: "rejected",  # FIFO rule
    10046: "rejected",  # opposite positions prohibited (hedging disabled)
}


def retcode_code(retcode: int) -> str:
    """The port's rejection code of a retcode."""
    return RETCODE_CODES.get(retcode, "rejected")


def rejection(retcode: int, description: str, comment: str = "") -> port.RejectedError:
    """The error of a request the broker or terminal refused (HTTP 200, `success: false`); nothing changed.

    The reason is the terminal's own words (its comment when it says more than the description), with the
    retcode for reference; 10031 (no connection to the trade server) is AccountDisconnectedError."""
    words = comment.strip() or description.strip() or "the broker rejected the request"
    if description.strip() and comment.strip() and description.strip().lower() not in comment.lower():
        words = f"{description.strip().rstrip('.')}: {comment.strip()}"
    message = redact_secrets(f"{words.rstrip('.')} (retcode {retcode})")
    code = retcode_code(retcode)
    if code == "account_disconnected":
        if "disconnected" not in message.lower():
            message = f"the account's terminal is disconnected from its broker: {message}"
        return port.AccountDisconnectedError(message)
    return port.RejectedError(message, code=code)


# --- exceptions

# httpx raises these before a byte of the request left: a write surely did not happen.
NOT_SENT: tuple[type[BaseException], ...] = (
    httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
)
_UNREADABLE: tuple[type[BaseException], ...] = (json.JSONDecodeError, pydantic.ValidationError, KeyError, TypeError)


def is_transient(exc: BaseException) -> bool:
    """A read failing this way may succeed when sent again (network trouble, 5xx, terminal restarting)."""
    if isinstance(exc, httpx.TransportError):
        return not isinstance(exc, httpx.UnsupportedProtocol)
    if isinstance(exc, fxsocket.TerminalNotReadyError | fxsocket.TerminalTimeoutError):
        return exc.status_code is not None
    return isinstance(exc, fxsocket.FxSocketError) and (exc.status_code or 0) >= 500


def _status(exc: fxsocket.FxSocketError) -> int | None:
    return exc.status_code


def _clean(message: str) -> str:
    return redact_secrets(message.strip() or "no details given")


def translate(exc: BaseException, *, write: bool, what: str) -> port.BrokerError:
    """The port error for anything an SDK call raised. `what` names the call for messages ("OrderSend on
    account acc_1"); `write` says whether it could have changed the account."""
    if isinstance(exc, port.BrokerError):
        return exc
    if isinstance(exc, fxsocket.FxSocketError):
        return _from_sdk(exc, write=write, what=what)
    if isinstance(exc, NOT_SENT):
        return port.UnreachableError(
            f"{what}: could not reach FxSocket ({type(exc).__name__}){'; nothing was sent' if write else ''}",
            write=write)
    if isinstance(exc, httpx.TransportError):
        if write:
            return port.OutcomeUnknownError(
                f"{what}: the connection failed after sending ({type(exc).__name__}); it may or may not have "
                "been executed — check positions and orders, do not retry blindly")
        return port.UnreachableError(f"{what}: FxSocket did not answer ({type(exc).__name__})", write=False)
    if isinstance(exc, _UNREADABLE):
        if write:
            return port.OutcomeUnknownError(
                f"{what}: the answer could not be read; it may or may not have been executed — check positions "
                "and orders, do not retry blindly")
        return port.UnexpectedResponseError(f"{what}: FxSocket answered something fxbot could not read "
                                            f"({type(exc).__name__})")
    if isinstance(exc, RuntimeError) and "closed" in str(exc).lower():
        return port.UnreachableError(f"{what}: the FxSocket client was already closed; nothing was sent", write=write)
    if write:
        return _unknown(what, f"the call failed unexpectedly ({type(exc).__name__})", None)
    return port.UnexpectedResponseError(f"{what}: the call failed unexpectedly ({type(exc).__name__})")


def _from_sdk(exc: fxsocket.FxSocketError, *, write: bool, what: str) -> port.BrokerError:
    status, code, message = _status(exc), exc.code or None, _clean(exc.message)
    if isinstance(exc, fxsocket.ValidationError) and status is None:
        return port.InvalidArgumentError(message)  # refused by the SDK before anything was sent
    if isinstance(exc, fxsocket.AuthError):
        return port.KeyRefusedError(f"FxSocket refused the API key (HTTP 401): {message}", code=code,
                                    status=status)
    if isinstance(exc, fxsocket.NotBalanceFundedError | fxsocket.PaymentRequiredError):
        return port.BillingError(f"FxSocket billing: {message}", code=code or "billing", status=status)
    if isinstance(exc, fxsocket.ForbiddenError):
        return port.ScopeRefusedError(f"FxSocket refused: {message} (HTTP 403)", code=code, status=status)
    if isinstance(exc, fxsocket.RateLimitError):
        retry_after = exc.retry_after if exc.retry_after is not None and exc.retry_after >= 0 else 1.0
        return port.RateLimitedError(f"{what}: too many requests; nothing was executed", retry_after=retry_after,
                                     code=code, status=status)
    if isinstance(exc, fxsocket.NotFoundError):
        return port.NotFoundError(message, code=code, status=status)
    if isinstance(exc, fxsocket.TerminalNotReadyError):
        return port.AccountDisconnectedError(
            f"the account's terminal is not ready (disconnected or restarting): {message}"
            f"{'; nothing was sent' if write else ''}", status=status)
    if isinstance(exc, fxsocket.TerminalTimeoutError):
        if write:
            return _unknown(what, f"the terminal did not answer in time (HTTP {status or 504})", status)
        return port.ServerError(f"{what}: the terminal did not answer in time", code=code, status=status)
    if isinstance(exc, fxsocket.ValidationError):
        lowered = message.lower()
        if "unknown ticket" in lowered or "no open position" in lowered:
            return port.NotFoundError(message, status=status)
        if "unknown symbol" in lowered:
            return port.NotFoundError(message, code="invalid_symbol", status=status)
        return port.RejectedError(message, code="bad_request" if code in (None, "MRPC_VALIDATION") else code,
                                  status=status)
    if isinstance(exc, fxsocket.IdempotencyError):
        return port.RejectedError(message, code=code, status=status)  # nothing was executed
    if status is not None and status >= 500:
        if write:
            return _unknown(what, f"FxSocket answered HTTP {status} ({code or 'error'})", status)
        return port.ServerError(f"{what}: FxSocket had a server error (HTTP {status})", code=code, status=status)
    if status is None:  # raised by the SDK itself without a request (a closed stream, …)
        return port.UnreachableError(f"{what}: {message}", write=write)
    return port.RejectedError(message, code=code or "rejected", status=status)


def _unknown(what: str, why: str, status: int | None) -> port.OutcomeUnknownError:
    return port.OutcomeUnknownError(
        f"{what}: {why}; it may or may not have been executed — check positions and orders, do not retry blindly",
        status=status)
