"""Turning broker errors into fxbot errors with plain messages (a scope refusal lowers the key's scope)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fxbot.domain.access import Scope
from fxbot.domain.broker import (
    AccountDisconnectedError,
    AccountOutsideKeyError,
    AccountSummary,
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
from fxbot.errors import (
    AccountDisconnected,
    FxbotError,
    KeyRevoked,
    NotFound,
    OutcomeUnknown,
    ScopeTooLow,
    UpstreamError,
    UpstreamRejected,
    UpstreamUnavailable,
    UserError,
)

if TYPE_CHECKING:
    from fxbot.storage import Storage

log = logging.getLogger(__name__)

#: Plain reasons for the pinned 400 codes.
REJECTION_REASONS: dict[str, str] = {
    "invalid_symbol": "unknown symbol",
    "invalid_volume": "invalid volume",
    "invalid_price": "invalid price",
    "invalid_stops": "stops on the wrong side",
    "invalid_timeframe": "invalid timeframe",
    "market_closed": "the market is closed",
    "insufficient_margin": "insufficient margin",
    "bad_request": "bad request",
}

#: What a scope refusal (ScopeRefusedError, HTTP 403) lowers a stored key's scope to.
LOWERED_SCOPE: dict[Scope, Scope] = {Scope.FULL: Scope.TRADE, Scope.TRADE: Scope.READ_ONLY}

#: `what` when a caller says nothing more specific (a verb phrase that follows "to").
DEFAULT_WHAT = "carry out the request"

ORDER_OUTCOME_UNKNOWN = "the order may have been placed — check /positions; it was NOT resent"
CHANGE_OUTCOME_UNKNOWN = (
    "FxSocket did not confirm the outcome — the change may have been applied; "
    "check /positions and /orders; it was NOT resent"
)


def translate_upstream(exc: BrokerError, *, key_name: str | None = None, what: str = DEFAULT_WHAT,
                       outcome_message: str | None = None) -> FxbotError:
    """The fxbot error for a broker error; `what` and `key_name` refine messages.

    `what` says what fxbot was asked to do, as a verb phrase that follows "to": "read the account",
    "place the order" ("could not reach FxSocket to place the order — nothing was sent; try again").

    Everything maps to an UpstreamError except a 404 (NotFound) and a request the backend refused to
    send (UserError).
    """
    key_text = f"the FxSocket key '{key_name}'" if key_name else "this chat's FxSocket key"
    if isinstance(exc, OutcomeUnknownError):
        return OutcomeUnknown(outcome_message or CHANGE_OUTCOME_UNKNOWN)
    if isinstance(exc, RateLimitedError):
        seconds = max(1, round(exc.retry_after))
        return UpstreamUnavailable(f"FxSocket is rate-limiting, try again in {seconds}s — nothing was done",
                                   retry_after=float(seconds))
    if isinstance(exc, AccountDisconnectedError):
        return AccountDisconnected(f"{exc.message.rstrip('.')} — try again once it reconnects")
    if isinstance(exc, RejectedError):
        reason = REJECTION_REASONS.get(exc.code, exc.code.replace("_", " "))
        detail = exc.message.strip().rstrip(".")
        if detail.lower().startswith(reason.lower()):  # the server's words already say it (no "closed: closed")
            reason = detail or reason
        elif detail:
            reason = f"{reason}: {detail}"
        return UpstreamRejected(reason, exc.code)
    if isinstance(exc, KeyRefusedError):
        return KeyRevoked(f"{key_text} was refused (revoked?) — /link a new one")
    if isinstance(exc, ScopeRefusedError):
        return ScopeTooLow(f"FxSocket refused to {what}: {key_text} does not have the scope this needs")
    if isinstance(exc, AccountOutsideKeyError):  # the key is fine, only not for that account: no scope change
        return UpstreamRejected("account outside the key", exc.code,
                                message=f"{key_text} cannot reach that account (it is not one of the accounts "
                                        "the key was made for) — nothing was done")
    if isinstance(exc, BillingError):  # never a scope problem: the stored scope stays as it is
        detail = exc.message.strip().rstrip(".")
        return UpstreamRejected("billing", exc.code,
                                message=f"FxSocket refused to {what} for billing reasons"
                                        + (f" ({detail})" if detail else "")
                                        + " — check the FxSocket subscription or balance; nothing was done")
    if isinstance(exc, NotFoundError):
        detail = exc.message.strip().rstrip(".") or "not found"
        return NotFound(f"not found: {detail}")
    if isinstance(exc, UnreachableError):
        # a write that fails this way surely never left (the backend says OutcomeUnknownError otherwise)
        unsent = " — nothing was sent" if exc.write else ""
        return UpstreamUnavailable(f"could not reach FxSocket to {what}{unsent}; try again")
    if isinstance(exc, ServerError):
        return UpstreamUnavailable(f"FxSocket had a server error when asked to {what}; try again in a moment")
    if isinstance(exc, UnexpectedResponseError):
        return UpstreamUnavailable(f"FxSocket sent an answer fxbot could not read when asked to {what}")
    if isinstance(exc, InvalidArgumentError):
        return UserError(exc.message)
    return UpstreamRejected(exc.message or exc.code, exc.code)


async def _key_name(storage: Storage, key_id: int | None) -> str | None:
    if key_id is None:
        return None
    try:
        key = await storage.keys.get(key_id)
    except Exception:  # the name only decorates a message; never fail the translation over it
        log.warning("could not read key %s for an error message", key_id, exc_info=True)
        return None
    return key.name if key is not None else None


async def _lower_scope(storage: Storage, key_id: int | None) -> str:
    """Lower a stored key's scope after a scope refusal; a sentence saying what changed ('' when nothing)."""
    if key_id is None:
        return ""
    try:
        key = await storage.keys.get(key_id)
        if key is None:
            return ""
        lowered = LOWERED_SCOPE.get(key.scope)
        if lowered is None:
            return ""
        await storage.keys.set_scope(key_id, lowered)
    except Exception:
        log.warning("could not lower the scope of key %s", key_id, exc_info=True)
        return ""
    return f"fxbot now treats the key '{key.name}' as {lowered.value} (it was {key.scope.value})"


@asynccontextmanager
async def upstream_call(storage: Storage, key_id: int | None, *, what: str,
                        outcome_message: str | None = None) -> AsyncIterator[None]:
    """Run broker calls inside; any broker error leaves as the matching fxbot error.

    A scope refusal (ScopeRefusedError, a 403) also lowers the stored key's scope (full -> trade ->
    read-only) and says so; no other error does (a billing refusal or an account outside the key never).
    `outcome_message` is the reply when a write's outcome is unknown.
    """
    try:
        yield
    except BrokerError as exc:
        name = await _key_name(storage, key_id)
        error = translate_upstream(exc, key_name=name, what=what, outcome_message=outcome_message)
        if isinstance(error, ScopeTooLow):
            lowered = await _lower_scope(storage, key_id)
            if lowered:
                error = ScopeTooLow(f"{error.message}; {lowered}")
        raise error from exc


def account_summary(accounts: Sequence[AccountSummary], account_id: str | None) -> AccountSummary | None:
    """The chat's account among the key's accounts (the first one when `account_id` is None)."""
    if account_id is None:
        return accounts[0] if accounts else None
    return next((a for a in accounts if a.id == account_id), None)


def ensure_connected(accounts: Sequence[AccountSummary], account_id: str | None) -> AccountSummary | None:
    """Raise AccountDisconnected when the chat's account is disconnected; return its summary (or None)."""
    summary = account_summary(accounts, account_id)
    if summary is not None and summary.status == "disconnected":
        login = f" (login {summary.login})" if summary.login is not None else ""
        raise AccountDisconnected(
            f"the account {summary.id}{login} at {summary.broker} is disconnected from its trading terminal "
            "— nothing was sent; try again once it reconnects"
        )
    return summary


__all__ = [
    "CHANGE_OUTCOME_UNKNOWN",
    "ORDER_OUTCOME_UNKNOWN",
    "UpstreamError",
    "account_summary",
    "ensure_connected",
    "translate_upstream",
    "upstream_call",
]
