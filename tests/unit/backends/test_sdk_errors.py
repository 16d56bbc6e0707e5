"""The SDK's exceptions and MetaTrader retcodes as port errors: reads vs writes (an uncertain write is never "failed"),
billing is never a scope problem, and no key in any message."""

from __future__ import annotations

import json

import fxsocket
import httpx
import pydantic
import pytest

from fxbot.backends.sdk_errors import RETCODE_CODES, is_transient, rejection, retcode_code, translate
from fxbot.domain.broker import (
    REJECTION_CODES,
    AccessRefusal,
    AccountDisconnectedError,
    BillingError,
    BrokerError,
    InvalidArgumentError,
    KeyRefusedError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    ScopeRefusedError,
    ServerError,
    UnexpectedResponseError,
    UnreachableError,
)

KEY = "fxs_live_SECRETsecretSECRET123"
REQUEST = httpx.Request("POST", "https://pod.example/t/acc1/OrderSend")


def sdk_error(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> fxsocket.FxSocketError:
    response = httpx.Response(status, json=body, headers=headers, request=REQUEST)
    return fxsocket.errors.error_from_response(response)


@pytest.mark.parametrize("retcode, code", [
    (10014, "invalid_volume"), (10015, "invalid_price"), (10016, "invalid_stops"), (10018, "market_closed"),
    (10019, "insufficient_margin"), (10004, "price_changed"), (10020, "price_changed"), (10021, "price_changed"),
    (10017, "trading_disabled"), (10026, "trading_disabled"), (10027, "trading_disabled"), (10006, "rejected"),
    (10013, "bad_request"), (99999, "rejected"),
])
def test_retcodes_become_rejection_codes(retcode: int, code: str) -> None:
    assert retcode_code(retcode) == code
    error = rejection(retcode, "Something", "")
    assert type(error) is RejectedError and error.code == code and f"retcode {retcode}" in error.reason


def test_every_mapped_retcode_is_a_known_rejection_code() -> None:
    assert set(RETCODE_CODES.values()) <= REJECTION_CODES


def test_no_connection_is_account_disconnected() -> None:
    error = rejection(10031, "No connection with the trade server", "")
    assert isinstance(error, AccountDisconnectedError) and "disconnected" in error.reason.lower()


def test_the_terminals_comment_says_why() -> None:
    error = rejection(10016, "Invalid stops in the request", "SL 1.2 is above the bid 1.1")
    assert error.reason == "Invalid stops in the request: SL 1.2 is above the bid 1.1 (retcode 10016)"
    same = rejection(10018, "Market is closed", "Market is closed")
    assert same.reason == "Market is closed (retcode 10018)"


@pytest.mark.parametrize("write", [False, True])
def test_refusals_are_the_same_for_reads_and_writes(write: bool) -> None:
    def port(exc: BaseException) -> BrokerError:
        return translate(exc, write=write, what="call")

    revoked = port(sdk_error(401, {"error": "unauthorized", "message": "bad key"}))
    assert isinstance(revoked, KeyRefusedError) and revoked.refusal is AccessRefusal.KEY_REFUSED
    scope = port(sdk_error(403, {"error": "forbidden", "detail": "read-only key"}))
    assert isinstance(scope, ScopeRefusedError) and scope.status == 403
    for status, code in ((403, "not_balance_funded"), (402, "insufficient_balance"), (402, "seat_lapsed"),
                         (402, None), (402, "account_cap_reached"), (402, "something_new")):
        billing = port(sdk_error(status, {"error": code, "detail": "pay up"}))
        assert type(billing) is BillingError and billing.message.startswith("FxSocket billing")
    assert type(port(sdk_error(404, {"error": "not_found", "detail": "no"}))) is NotFoundError
    limited = port(sdk_error(429, {"error": "rate_limited"}, {"Retry-After": "2.5"}))
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 2.5
    no_header = port(sdk_error(429, {"error": "rate_limited"}))
    assert isinstance(no_header, RateLimitedError) and no_header.retry_after == 1.0
    not_ready = port(sdk_error(503, {"error": "terminal_not_ready", "message": "EA not ready"}))
    assert isinstance(not_ready, AccountDisconnectedError)
    unknown_ticket = port(sdk_error(400, {"error": "MRPC_VALIDATION", "message": "unknown ticket 5"}))
    assert type(unknown_ticket) is NotFoundError
    bad = port(sdk_error(400, {"error": "MRPC_VALIDATION", "message": "field 'volume' is wrong"}))
    assert type(bad) is RejectedError and bad.code == "bad_request"
    client_side = port(fxsocket.ValidationError("volume must be > 0"))
    assert type(client_side) is InvalidArgumentError


def test_a_timeout_or_server_failure_on_a_write_is_outcome_unknown_on_a_read_a_server_error() -> None:
    timeout = sdk_error(504, {"error": "MRPC_TIMEOUT", "message": "late"})
    failed = sdk_error(500, {"error": "internal_error", "detail": "boom"})
    for exc in (timeout, failed, httpx.ReadTimeout("late"), httpx.RemoteProtocolError("cut"),
                json.JSONDecodeError("bad", "x", 0)):
        assert type(translate(exc, write=True, what="OrderSend")) is OutcomeUnknownError, exc
    assert type(translate(timeout, write=False, what="GET")) is ServerError
    assert type(translate(failed, write=False, what="GET")) is ServerError
    assert type(translate(httpx.ReadTimeout("late"), write=False, what="GET")) is UnreachableError
    assert type(translate(json.JSONDecodeError("bad", "x", 0), write=False, what="GET")) is UnexpectedResponseError


def test_a_shape_the_sdk_refuses_is_unexpected_on_a_read() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        fxsocket.models.Quote.model_validate({"symbol": "EURUSD", "bid": 1.0})
    assert type(translate(info.value, write=False, what="GET /getQuote")) is UnexpectedResponseError
    assert type(translate(info.value, write=True, what="OrderSend")) is OutcomeUnknownError


def test_nothing_sent_is_unreachable_for_reads_and_writes() -> None:
    for exc in (httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("full")):
        write = translate(exc, write=True, what="OrderSend")
        assert isinstance(write, UnreachableError) and write.write and "nothing was sent" in write.message
        read = translate(exc, write=False, what="GET")
        assert isinstance(read, UnreachableError) and not read.write


def test_which_read_failures_are_worth_another_try() -> None:
    assert is_transient(httpx.ReadTimeout("late")) and is_transient(httpx.ConnectError("refused"))
    assert is_transient(sdk_error(503, {"error": "terminal_not_ready"}))
    assert is_transient(sdk_error(504, {"error": "MRPC_TIMEOUT"})) and is_transient(sdk_error(500, {}))
    assert not is_transient(sdk_error(400, {"error": "MRPC_VALIDATION"}))
    assert not is_transient(sdk_error(401, {})) and not is_transient(fxsocket.TerminalNotReadyError("no url"))


def test_no_message_carries_a_key() -> None:
    leaky = sdk_error(400, {"error": "MRPC_VALIDATION", "message": f"bad request from {KEY} ?api_key={KEY}"})
    error = translate(leaky, write=True, what="OrderSend")
    assert "SECRET" not in error.message and "SECRET" not in repr(error)
    assert "SECRET" not in rejection(10016, "x", f"key {KEY}").message
