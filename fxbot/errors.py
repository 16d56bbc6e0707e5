"""The error tree: user errors, access denials and upstream (FxSocket) errors, each with a safe message."""

from __future__ import annotations


class FxbotError(Exception):
    """Base of every error fxbot raises on purpose; its message is safe to show (never a key)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserError(FxbotError):
    """The person asked for something wrong; nothing was changed. Optionally shows usage and an example."""

    def __init__(self, message: str, usage: str | None = None, example: str | None = None) -> None:
        super().__init__(message)
        self.usage = usage
        self.example = example

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, usage={self.usage!r}, example={self.example!r})"


class UsageError(UserError):
    """A command's arguments are wrong (missing, too many, malformed, out of range)."""


class ParseError(UserError):
    """A command line could not be read at all (unbalanced quote, not a command name, repeated option)."""


class NotFound(UserError):
    """Something the person named does not exist (order, position, alert, user, key name)."""


class AccessDenied(FxbotError):
    """The key's scope, the sender's role or the chat kind does not allow the command."""

    def __init__(self, reason: str, code: str = "denied") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __repr__(self) -> str:
        return f"AccessDenied({self.reason!r}, code={self.code!r})"


class UpstreamError(FxbotError):
    """FxSocket (or the broker behind it) did not do what was asked; the message is for the person."""

    default_message = "FxSocket could not do this right now"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class UpstreamRejected(UpstreamError):
    """FxSocket refused the request with a reason (invalid stops, market closed, …); nothing changed."""

    def __init__(self, reason: str, code: str | None = None, message: str | None = None) -> None:
        super().__init__(message or f"rejected: {reason} — nothing was changed")
        self.reason = reason
        self.code = code


class UpstreamUnavailable(UpstreamError):
    """FxSocket could not be reached or is rate limiting; the request was not carried out."""

    default_message = "FxSocket is not reachable right now — nothing was sent; try again in a moment"

    def __init__(self, message: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUnknown(UpstreamError):
    """The request may or may not have taken effect (timeout, 500 after sending); it is never resent."""

    default_message = "the order may have been placed — check /positions; it was not resent"


class KeyRevoked(UpstreamError):
    """FxSocket no longer accepts the chat's key (401)."""

    default_message = (
        "FxSocket no longer accepts this chat's key (revoked or unknown) — link or bind a new one"
    )


class AccountDisconnected(UpstreamError):
    """The trading account is not connected to its broker right now."""

    default_message = "the trading account is disconnected from its broker right now — try again later"


class ScopeTooLow(UpstreamError):
    """FxSocket answered 403: the key's scope does not allow the call even though fxbot thought it did."""

    default_message = "FxSocket refused: this chat's key does not have the scope this needs"
