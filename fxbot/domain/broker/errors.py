"""The broker error tree: what went wrong with a broker call, in terms every backend can report.

Backends raise only these (never their wire or SDK exceptions). Each error has a stable `code`, a
`message` safe to show (never an API key) and the HTTP `status` when there was one. What each one
promises about the account:

    BrokerError
    ├── InvalidArgumentError     refused before anything was sent (bad id, nothing to change, ...)
    │   └── UnsupportedKeyError  no backend for this kind of key (e.g. a terminal-API key, for now)
    ├── UnreachableError         the broker API could not be reached; nothing was executed
    ├── ServerError              the API failed on a read (retried already); nothing changed
    ├── UnexpectedResponseError  a read's answer could not be understood; nothing changed
    ├── OutcomeUnknownError      a write may or may not have taken effect: reconcile, NEVER resend
    ├── RateLimitedError         too many requests (`retry_after` seconds); nothing was executed
    ├── RejectedError            the API or the broker refused (`code`, `reason`); nothing changed
    │   └── AccountDisconnectedError  the account's terminal is not connected to its broker
    ├── NotFoundError            unknown order, position, account or symbol
    ├── AccessRefusedError       the key may not do this (`refusal` says why); nothing changed
    │   ├── KeyRefusedError          the key is unknown or revoked
    │   ├── ScopeRefusedError        the key's scope is too low for this call
    │   └── AccountOutsideKeyError   the key is valid but does not reach this account
    └── BillingError             the FxSocket subscription or balance does not cover this; nothing
                                 changed (never a scope problem: a key's scope must not be lowered)
"""

from __future__ import annotations

from enum import StrEnum


class BrokerError(Exception):
    """Base of every broker error; `message` is safe to show and never carries an API key."""

    default_code = "broker_error"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})"


class InvalidArgumentError(BrokerError, ValueError):
    """Refused before anything was sent: an argument no broker could accept, or an unsupported feature."""

    default_code = "invalid_argument"


class UnsupportedKeyError(InvalidArgumentError):
    """No registered backend speaks this kind of key; the message names the key's prefix, never the key."""

    default_code = "unsupported_key"


class UnreachableError(BrokerError):
    """The broker API could not be reached, so the request was surely not executed.

    `write` tells a write (place, modify, close) from a read, so a reply can say "nothing was sent".
    """

    default_code = "unreachable"

    def __init__(self, message: str, *, write: bool, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message, code=code, status=status)
        self.write = write


class ServerError(BrokerError):
    """The API failed on a read (after the backend's retries); nothing changed."""

    default_code = "server_error"


class UnexpectedResponseError(BrokerError):
    """A read was answered with something the backend could not understand; nothing changed."""

    default_code = "unexpected_response"


class OutcomeUnknownError(BrokerError):
    """A write may or may not have taken effect (timeout or failure after sending). Never resend it:
    check positions, orders and history first."""

    default_code = "outcome_unknown"


class RateLimitedError(BrokerError):
    """Too many requests; nothing was executed. Wait `retry_after` seconds before trying again."""

    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float = 1.0, code: str | None = None,
                 status: int | None = 429) -> None:
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


#: Stable rejection codes both backends map onto (anything else passes through as the API's own code).
REJECTION_CODES: frozenset[str] = frozenset({
    "bad_request", "invalid_symbol", "invalid_volume", "invalid_price", "invalid_stops", "invalid_timeframe",
    "market_closed", "insufficient_margin", "account_disconnected", "trading_disabled", "price_changed",
    "rejected",
})


class RejectedError(BrokerError):
    """The API or the broker refused the request; nothing changed.

    `code` is machine-readable (one of `REJECTION_CODES` where the backend can tell, e.g.
    `invalid_stops`, `market_closed`, `insufficient_margin`); `reason` is the API's own words.
    """

    default_code = "rejected"

    @property
    def reason(self) -> str:
        return self.message


class AccountDisconnectedError(RejectedError):
    """The account's trading terminal is not connected to its broker; nothing was sent to the market."""

    default_code = "account_disconnected"


class NotFoundError(BrokerError):
    """Unknown order, position, account or symbol."""

    default_code = "not_found"


class AccessRefusal(StrEnum):
    """Why a key was refused."""

    KEY_REFUSED = "key_refused"  # unknown or revoked key
    SCOPE_TOO_LOW = "scope_too_low"  # the key is valid, its scope does not allow the call
    ACCOUNT_OUTSIDE_KEY = "account_outside_key"  # the key is valid but does not reach that account


class AccessRefusedError(BrokerError):
    """The key may not do this; nothing changed. `refusal` says why (one subclass per reason)."""

    default_code = "access_refused"
    refusal: AccessRefusal = AccessRefusal.KEY_REFUSED


class KeyRefusedError(AccessRefusedError):
    """The key is unknown or revoked (HTTP 401): nothing works with it any more."""

    default_code = "unauthorized"
    refusal = AccessRefusal.KEY_REFUSED


class ScopeRefusedError(AccessRefusedError):
    """The key is valid but its scope does not allow this call (HTTP 403), e.g. a read-only key trading."""

    default_code = "forbidden"
    refusal = AccessRefusal.SCOPE_TOO_LOW


class AccountOutsideKeyError(AccessRefusedError):
    """The key is valid but does not reach this account (a read-only key limited to selected accounts)."""

    default_code = "account_outside_key"
    refusal = AccessRefusal.ACCOUNT_OUTSIDE_KEY


class BillingError(BrokerError):
    """FxSocket refused for billing (no subscription, lapsed seat, balance too low, account cap); nothing
    changed. Not an access problem: it must never lower a key's stored scope."""

    default_code = "billing"
