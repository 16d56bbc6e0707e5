"""Unit tests of the FxSocket error translation (upstream.py)."""

from __future__ import annotations

import pytest

from fxbot.errors import (
    AccountDisconnected,
    KeyRevoked,
    NotFound,
    OutcomeUnknown,
    ScopeTooLow,
    UpstreamRejected,
    UpstreamUnavailable,
)
from fxbot.fxsocket.errors import (
    BadRequestError,
    ConnectionFailedError,
    ForbiddenError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
)
from fxbot.fxsocket.models import AccountSummary
from fxbot.services.upstream import ORDER_OUTCOME_UNKNOWN, ensure_connected, translate_upstream


def test_rejections_carry_a_plain_reason() -> None:
    error = translate_upstream(BadRequestError("insufficient_margin", "free margin 10.00 < required 2200.00"))
    assert isinstance(error, UpstreamRejected)
    assert error.message.startswith("rejected: insufficient margin: free margin 10.00")
    error = translate_upstream(BadRequestError("invalid_stops", "a BUY stop-loss must be below 1.1"))
    assert "stops on the wrong side: a BUY stop-loss" in error.message
    error = translate_upstream(BadRequestError("market_closed", "the market is closed"))
    assert error.message == "rejected: the market is closed — nothing was changed"


def test_disconnected_account_400() -> None:
    error = translate_upstream(BadRequestError(
        "bad_request", "account acc_1 is disconnected from its trading terminal; nothing was done"))
    assert isinstance(error, AccountDisconnected) and "acc_1 is disconnected" in error.message


def test_other_statuses() -> None:
    assert isinstance(translate_upstream(UnauthorizedError("unauthorized", "x"), key_name="main"), KeyRevoked)
    assert "'main' was refused (revoked?) — /link a new one" in translate_upstream(
        UnauthorizedError("unauthorized", "x"), key_name="main").message
    assert isinstance(translate_upstream(ForbiddenError("forbidden", "x")), ScopeTooLow)
    assert isinstance(translate_upstream(NotFoundError("not_found", "order ord_1 not found")), NotFound)
    limited = translate_upstream(RateLimitedError("rate_limited", "slow down", retry_after=2.4))
    assert isinstance(limited, UpstreamUnavailable) and "try again in 2s" in limited.message
    down = translate_upstream(ConnectionFailedError("refused", method="POST", path="/v1/orders"),
                              what="placing the order")
    assert isinstance(down, UpstreamUnavailable) and "nothing was sent" in down.message
    assert isinstance(translate_upstream(ServerError("internal_error", "boom")), UpstreamUnavailable)


def test_unknown_outcome_is_never_presented_as_a_failure_to_retry() -> None:
    error = translate_upstream(OutcomeUnknownError("timeout", method="POST", path="/v1/orders"),
                               outcome_message=ORDER_OUTCOME_UNKNOWN)
    assert isinstance(error, OutcomeUnknown)
    assert error.message == "the order may have been placed — check /positions; it was NOT resent"


def _summary(account_id: str, status: str) -> AccountSummary:
    return AccountSummary(id=account_id, broker="B", platform="MT5", status=status, login=7)


def test_ensure_connected_checks_the_chats_account() -> None:
    accounts = [_summary("acc_1", "connected"), _summary("acc_2", "disconnected")]
    assert ensure_connected(accounts, None) is accounts[0]
    with pytest.raises(AccountDisconnected) as caught:
        ensure_connected(accounts, "acc_2")
    assert "acc_2 (login 7) at B is disconnected" in caught.value.message
    assert ensure_connected(accounts, "acc_9") is None
