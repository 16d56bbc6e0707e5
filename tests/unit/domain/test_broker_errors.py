"""The broker error tree: one class per distinction a reply makes, with stable codes and safe messages."""

from __future__ import annotations

import pytest

from fxbot.domain.broker import (
    AccessRefusal,
    AccessRefusedError,
    AccountDisconnectedError,
    AccountOutsideKeyError,
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
    UnsupportedKeyError,
)


@pytest.mark.parametrize(("error", "code"), [
    (BrokerError("x"), "broker_error"),
    (InvalidArgumentError("x"), "invalid_argument"),
    (UnsupportedKeyError("x"), "unsupported_key"),
    (UnreachableError("x", write=False), "unreachable"),
    (ServerError("x"), "server_error"),
    (UnexpectedResponseError("x"), "unexpected_response"),
    (OutcomeUnknownError("x"), "outcome_unknown"),
    (RateLimitedError("x"), "rate_limited"),
    (RejectedError("x"), "rejected"),
    (AccountDisconnectedError("x"), "account_disconnected"),
    (NotFoundError("x"), "not_found"),
    (KeyRefusedError("x"), "unauthorized"),
    (ScopeRefusedError("x"), "forbidden"),
    (AccountOutsideKeyError("x"), "account_outside_key"),
    (BillingError("x"), "billing"),
])
def test_default_codes(error: BrokerError, code: str) -> None:
    assert error.code == code and error.message == "x" and str(error) == "x"


def test_code_and_status_can_be_given() -> None:
    error = RejectedError("Stop loss must be below the bid.", code="invalid_stops", status=400)
    assert (error.code, error.status, error.reason) == ("invalid_stops", 400, "Stop loss must be below the bid.")
    assert repr(error) == ("RejectedError(code='invalid_stops', status=400, "
                           "message='Stop loss must be below the bid.')")


def test_access_refusals_say_why() -> None:
    assert KeyRefusedError("x").refusal is AccessRefusal.KEY_REFUSED
    assert ScopeRefusedError("x").refusal is AccessRefusal.SCOPE_TOO_LOW
    assert AccountOutsideKeyError("x").refusal is AccessRefusal.ACCOUNT_OUTSIDE_KEY
    for cls in (KeyRefusedError, ScopeRefusedError, AccountOutsideKeyError):
        assert issubclass(cls, AccessRefusedError)


def test_billing_is_not_an_access_refusal_and_disconnected_is_a_rejection() -> None:
    assert not issubclass(BillingError, AccessRefusedError)
    assert issubclass(AccountDisconnectedError, RejectedError)


def test_refused_before_sending_is_a_value_error() -> None:
    assert isinstance(InvalidArgumentError("x"), ValueError)
    assert isinstance(UnsupportedKeyError("x"), InvalidArgumentError)


def test_details_each_kind_carries() -> None:
    assert RateLimitedError("slow down").retry_after == 1.0
    limited = RateLimitedError("slow down", retry_after=2.5)
    assert (limited.retry_after, limited.status) == (2.5, 429)
    assert UnreachableError("down", write=True).write
    assert not UnreachableError("down", write=False).write


def test_every_error_is_a_broker_error() -> None:
    for cls in (InvalidArgumentError, UnreachableError, ServerError, UnexpectedResponseError, OutcomeUnknownError,
                RateLimitedError, RejectedError, NotFoundError, AccessRefusedError, BillingError):
        assert issubclass(cls, BrokerError)
