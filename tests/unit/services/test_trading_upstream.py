"""Unit tests of the broker error translation (upstream.py): port errors in, fxbot errors out, scope lowering."""

from __future__ import annotations

import pytest

from fxbot.domain.access import Scope
from fxbot.domain.broker import (
    AccountDisconnectedError,
    AccountOutsideKeyError,
    AccountSummary,
    BillingError,
    BrokerError,
    KeyRefusedError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    ScopeRefusedError,
    ServerError,
    UnreachableError,
)
from fxbot.errors import (
    AccountDisconnected,
    KeyRevoked,
    NotFound,
    OutcomeUnknown,
    ScopeTooLow,
    UpstreamRejected,
    UpstreamUnavailable,
)
from fxbot.services.upstream import ORDER_OUTCOME_UNKNOWN, ensure_connected, translate_upstream, upstream_call
from fxbot.storage import Storage


def test_rejections_carry_a_plain_reason() -> None:
    error = translate_upstream(RejectedError("free margin 10.00 < required 2200.00", code="insufficient_margin"))
    assert isinstance(error, UpstreamRejected)
    assert error.message.startswith("rejected: insufficient margin: free margin 10.00")
    error = translate_upstream(RejectedError("a BUY stop-loss must be below 1.1", code="invalid_stops"))
    assert "stops on the wrong side: a BUY stop-loss" in error.message
    error = translate_upstream(RejectedError("the market is closed", code="market_closed"))
    assert error.message == "rejected: the market is closed — nothing was changed"


def test_disconnected_account() -> None:
    error = translate_upstream(AccountDisconnectedError(
        "account acc_1 is disconnected from its trading terminal; nothing was done", status=400))
    assert isinstance(error, AccountDisconnected) and "acc_1 is disconnected" in error.message


def test_other_statuses() -> None:
    assert isinstance(translate_upstream(KeyRefusedError("x", status=401), key_name="main"), KeyRevoked)
    assert "'main' was refused (revoked?) — /link a new one" in translate_upstream(
        KeyRefusedError("x"), key_name="main").message
    assert isinstance(translate_upstream(ScopeRefusedError("x", status=403)), ScopeTooLow)
    assert isinstance(translate_upstream(NotFoundError("order ord_1 not found", status=404)), NotFound)
    limited = translate_upstream(RateLimitedError("slow down", retry_after=2.4))
    assert isinstance(limited, UpstreamUnavailable) and "try again in 2s" in limited.message
    down = translate_upstream(UnreachableError("refused", write=True), what="place the order")
    assert isinstance(down, UpstreamUnavailable) and "nothing was sent" in down.message
    assert isinstance(translate_upstream(ServerError("boom", status=500)), UpstreamUnavailable)


def test_unknown_outcome_is_never_presented_as_a_failure_to_retry() -> None:
    error = translate_upstream(OutcomeUnknownError("POST /v1/orders: timeout"), outcome_message=ORDER_OUTCOME_UNKNOWN)
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


def test_an_account_outside_the_key_says_so_and_is_not_a_revoked_key() -> None:
    error = translate_upstream(AccountOutsideKeyError("account 42 is not in this key", status=401), key_name="watch")
    assert isinstance(error, UpstreamRejected) and not isinstance(error, KeyRevoked)
    assert error.message == ("the FxSocket key 'watch' cannot reach that account (it is not one of the accounts "
                             "the key was made for) — nothing was done")


def test_a_billing_refusal_is_reported_as_billing() -> None:
    error = translate_upstream(BillingError("the balance does not cover this account", status=402),
                               what="place the order")
    assert isinstance(error, UpstreamRejected) and not isinstance(error, ScopeTooLow)
    assert error.message == ("FxSocket refused to place the order for billing reasons (the balance does not cover "
                             "this account) — check the FxSocket subscription or balance; nothing was done")


async def _scope_after(storage: Storage, refusal: BrokerError) -> tuple[Scope, str]:
    key = await storage.keys.add("u", "main", "sk_test_aaaaaaaaaaaaaaaaaaaaaaaa", Scope.FULL)
    with pytest.raises(Exception) as caught:
        async with upstream_call(storage, key.id, what="place the order"):
            raise refusal
    stored = await storage.keys.get(key.id)
    assert stored is not None
    return stored.scope, str(caught.value)


async def test_only_a_scope_refusal_lowers_the_stored_scope(storage: Storage) -> None:
    scope, message = await _scope_after(storage, ScopeRefusedError("scope", status=403))
    assert scope is Scope.TRADE and "now treats the key 'main' as trade" in message


@pytest.mark.parametrize("refusal", [
    BillingError("subscription lapsed", status=402),
    BillingError("not_balance_funded", code="not_balance_funded", status=403),
    AccountOutsideKeyError("not in this key", status=401),
    KeyRefusedError("revoked", status=401),
], ids=["402", "403-billing", "outside-key", "revoked"])
async def test_other_refusals_never_lower_the_stored_scope(storage: Storage, refusal: BrokerError) -> None:
    scope, message = await _scope_after(storage, refusal)
    assert scope is Scope.FULL and "now treats" not in message
