"""What is recorded of each command: the audit log, the ops metrics and unexpected failures, secrets hidden."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Generic, Protocol, TypeVar

from fxbot.chat.parser import command_name_of
from fxbot.chat.registry import CommandRegistry, CommandSpec
from fxbot.chat.types import IncomingCommand, Reply, ReplyKind
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import AccessDenied, FxbotError, UpstreamError, UserError

S = TypeVar("S")

_MAX_AUDIT_TEXT = 300


class AuditSink(Protocol):
    """Where state-changing commands are recorded (implemented by storage's audit log)."""

    async def record(
        self,
        *,
        chat_id: str,
        user_id: str,
        command: str,
        ok: bool,
        result: str,
        latency_ms: float,
        order_ref: str | None,
    ) -> None: ...


class CommandObserver(Protocol):
    """Told about every command run (the ops metrics): `command` is the registry's name (None: not a known
    command), `outcome` one of ok, error, user_error, denied, upstream_error, failed, unknown; `confirmed`
    for a confirmed action (an order sent after its card's Confirm)."""

    def command_handled(self, command: str | None, outcome: str, seconds: float, *,
                        confirmed: bool = False) -> None: ...


def outcome_of(error: BaseException) -> str:
    """The outcome a command that raised `error` is counted under."""
    if isinstance(error, AccessDenied):
        return "denied"
    if isinstance(error, UserError):
        return "user_error"
    if isinstance(error, UpstreamError):
        return "upstream_error"
    return "error" if isinstance(error, FxbotError) else "failed"


def replies_outcome(replies: list[Reply]) -> str:
    """The outcome of a command that answered `replies`."""
    return "error" if any(r.kind is ReplyKind.ERROR for r in replies) else "ok"


class CommandRecords(Generic[S]):
    """Records commands: state-changing ones in the audit log, every run for the metrics, failures in `log`.

    A key is masked wherever a command's text or reply is shown, and a sensitive command's arguments are
    hidden entirely (they might be a key)."""

    def __init__(self, registry: CommandRegistry[S], audit: AuditSink | None, observer: CommandObserver | None,
                 log: logging.Logger) -> None:
        self._registry = registry
        self._audit = audit
        self._observer = observer
        self._log = log

    def sensitive_spec(self, text: str) -> CommandSpec[S] | None:
        """The sensitive command `text` runs (by its name, without a full parse), if it runs one."""
        spec = self._registry.get(command_name_of(text) or "")
        return spec if spec is not None and spec.sensitive else None

    def observe(self, command: str | None, outcome: str, started: float, *, confirmed: bool = False) -> None:
        if self._observer is None:
            return
        try:
            self._observer.command_handled(command, outcome, time.perf_counter() - started, confirmed=confirmed)
        except Exception:  # metrics never break a command
            self._log.exception("recording command metrics failed")

    async def record(
        self,
        command: IncomingCommand,
        replies: list[Reply],
        started: float,
        order_ref: str | None,
        suffix: str,
    ) -> None:
        if self._audit is None:
            return
        ok = all(r.kind is not ReplyKind.ERROR for r in replies)
        first = replies[0].plain_text if replies else ""
        try:
            await self._audit.record(
                chat_id=command.chat.id,
                user_id=command.user.id,
                command=self.shown_text(command.text) + suffix + (f" [via {command.via}]" if command.via else ""),
                ok=ok,
                result=self._shown_result(command.text, first),
                latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
                order_ref=order_ref,
            )
        except Exception as error:
            self.log_failure(error, command, "audit")

    def shown_text(self, text: str) -> str:
        """A command's text as logs and the audit log may show it: keys masked, a sensitive command's
        arguments hidden entirely ("/link [arguments hidden]")."""
        sensitive = self.sensitive_spec(text)
        if sensitive is not None:
            return sensitive.hidden_form
        return redact_secrets(text.strip())[:_MAX_AUDIT_TEXT]

    def _shown_result(self, command_text: str, result: str) -> str:
        """A reply's text for the audit log: keys masked; for a sensitive command, any word of its arguments
        that the reply quotes (e.g. in an error message) is hidden too."""
        shown = redact_secrets(result)
        if self.sensitive_spec(command_text) is not None:
            shown = _hide_words(shown, command_text.strip().split()[1:])
        return shown[:_MAX_AUDIT_TEXT]

    def log_failure(self, error: BaseException, command: IncomingCommand, name: str | None) -> None:
        """Log an unexpected failure with context; keys are masked in the text and in the traceback, and a
        sensitive command's traceback carries no exception messages (they might quote its arguments)."""
        hide = self.sensitive_spec(command.text) is not None
        trace = redact_secrets(_format_trace(error, with_messages=not hide))
        self._log.error(
            "unexpected failure in /%s (platform %s, chat %s, user %s, text %r)\n%s",
            name or "?",
            command.chat.platform,
            command.chat.id,
            command.user.id,
            self.shown_text(command.text),
            trace,
        )


def _hide_words(text: str, words: list[str]) -> str:
    """`text` with every occurrence of each word (of 3 characters or more, quotes stripped) hidden."""
    cleaned = {word.strip("\"'“”‘’") for word in words}
    for word in sorted((w for w in cleaned if len(w) >= 3), key=len, reverse=True):
        text = text.replace(word, "[hidden]")
    return text


def _format_trace(error: BaseException, *, with_messages: bool) -> str:
    """The traceback of `error`; without messages, only exception types and frames (no values)."""
    if with_messages:
        return "".join(traceback.format_exception(error))
    parts: list[str] = []
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append("".join(traceback.format_tb(current.__traceback__)))
        parts.append(f"{type(current).__qualname__}: [message hidden: arguments of a sensitive command]\n")
        current = current.__cause__ or current.__context__
    return "Traceback (the failure, then what caused it):\n" + "".join(parts)
