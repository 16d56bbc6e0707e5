"""Turning each kind of fxbot error into the plain-text reply a person sees (no stack trace, no key)."""

from __future__ import annotations

from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import (
    AccessDenied,
    FxbotError,
    OutcomeUnknown,
    ParseError,
    UpstreamError,
    UsageError,
    UserError,
)


def reply_for_error(error: FxbotError, *, usage: str | None = None, example: str | None = None) -> Reply:
    """The reply for a known error. `usage`/`example` fill in a usage or parse error raised without them."""
    message = redact_secrets(error.message)
    if isinstance(error, UserError):
        lines = [message]
        about_usage = isinstance(error, UsageError | ParseError)
        shown_usage = error.usage or (usage if about_usage else None)
        shown_example = error.example or (example if about_usage else None)
        if shown_usage:
            lines.append(f"usage: {shown_usage}")
        if shown_example:
            lines.append(f"example: {shown_example}")
        return Reply(text=tuple(lines), kind=ReplyKind.ERROR, ephemeral=True)
    if isinstance(error, AccessDenied):
        return Reply(text=(redact_secrets(error.reason),), kind=ReplyKind.ERROR, ephemeral=True)
    if isinstance(error, OutcomeUnknown):
        return Reply(text=(message,), kind=ReplyKind.WARNING)
    if isinstance(error, UpstreamError):
        return Reply(text=(message,), kind=ReplyKind.ERROR, ephemeral=True)
    return Reply(text=(message,), kind=ReplyKind.ERROR, ephemeral=True)


def apology(command: str | None) -> Reply:
    """The reply for an unexpected failure: it was logged and nothing else was affected."""
    what = f"/{command}" if command else "that command"
    return Reply(text=(f"something went wrong running {what} — it was logged; nothing else was affected",),
                 kind=ReplyKind.ERROR, ephemeral=True)
