"""The dispatcher: parse, look up, check access, bind arguments, run the handler, turn errors into replies."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from fxbot.chat import persisted_buttons
from fxbot.chat.access import check_access, private_only_denial
from fxbot.chat.arguments import bind_arguments
from fxbot.chat.command_scope import command_scope
from fxbot.chat.confirmations import NO_LONGER_ACTIVE, ConfirmAction, ConfirmationBook
from fxbot.chat.context import ChatContext, ChatContextResolver, CommandContext
from fxbot.chat.error_replies import apology, reply_for_error
from fxbot.chat.parser import command_name_of, parse
from fxbot.chat.registry import CommandRegistry, CommandSpec
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import ButtonPress, IncomingCommand, PressResult, Reply, ReplyKind
from fxbot.domain.redaction import looks_like_key, redact_secrets
from fxbot.errors import AccessDenied, FxbotError, UpstreamError, UserError

log = logging.getLogger(__name__)

S = TypeVar("S")

KEY_IN_GROUP = ("never paste keys in a group — use a private chat with the bot; "
                "this message was deleted if I'm allowed to")
KEY_IN_PRIVATE = "that looks like an FxSocket key — to use it, send /link followed by the key"
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


def _replies_outcome(replies: list[Reply]) -> str:
    return "error" if any(r.kind is ReplyKind.ERROR for r in replies) else "ok"


class Dispatcher(Generic[S]):
    """Runs chat messages and button presses against the registry; implements CommandHandlerPort.

    `handle` and `press` never raise (except cancellation): every failure becomes a reply."""

    def __init__(
        self,
        registry: CommandRegistry[S],
        resolver: ChatContextResolver,
        services: S,
        *,
        known_symbols: Collection[str],
        confirmations: ConfirmationBook,
        clock: Callable[[], datetime],
        audit: AuditSink | None = None,
        observer: CommandObserver | None = None,
        action_tokens: persisted_buttons.ActionTokenStore | None = None,
    ) -> None:
        self._observer = observer
        self._action_tokens = action_tokens
        self._registry = registry
        self._resolver = resolver
        self._services = services
        self._symbols = SymbolResolver(known_symbols)
        self._confirmations = confirmations
        self._clock = clock
        self._audit = audit

    def commands(self) -> list[CommandSpec[Any]]:
        return list(self._registry.all())

    async def handle(self, command: IncomingCommand) -> list[Reply]:
        """The replies to one chat message; [] when it is not a command and needs no answer."""
        text = command.text
        if looks_like_key(text):
            if not command.chat.is_private:
                return [Reply(text=(KEY_IN_GROUP,), kind=ReplyKind.WARNING, delete_user_message=True)]
            if not text.lstrip().startswith("/"):
                return [Reply(text=(KEY_IN_PRIVATE,), kind=ReplyKind.INFO)]
        if not text.lstrip().startswith("/"):
            return []
        sensitive = self._sensitive_spec(text)
        if sensitive is not None and not command.chat.is_private:
            return await self._refuse_in_group(command, sensitive)
        with command_scope():  # what the command reads of its chat is read once (see command_scope)
            return await self._run(command)

    async def _refuse_in_group(self, command: IncomingCommand, spec: CommandSpec[S]) -> list[Reply]:
        """A sensitive command in a group: refused before its arguments are even parsed (an error message
        could quote them), and the message is deleted where the bot may."""
        started = time.perf_counter()
        refusal = replace(reply_for_error(private_only_denial(spec.name)), delete_user_message=True)
        if spec.state_changing:
            await self._record(command, [refusal], started, None, suffix="")
        self._observe(spec.name, "denied", started)
        return [refusal]

    async def _run(self, command: IncomingCommand) -> list[Reply]:
        text = command.text
        started = time.perf_counter()
        spec: CommandSpec[S] | None = None
        context: CommandContext[S] | None = None
        try:
            parsed = parse(text)
            if parsed is None:  # pragma: no cover - ruled out above
                return []
            spec = self._registry.get(parsed.name)
            if spec is None:
                self._observe(None, "unknown", started)
                return [self._unknown(parsed.name)]
            chat_ctx = await self._resolver.resolve(command.chat, command.user)
            denial = check_access(spec.permission, chat_ctx, spec.name)
            if denial is not None:
                raise denial
            args = bind_arguments(spec, parsed, self._symbols)
            context = CommandContext(
                command=command,
                command_name=spec.name,
                ctx=chat_ctx,
                services=self._services,
                now=self._clock(),
                confirmations=self._confirmations,
                guard=self._guard,
            )
            replies = _as_replies(await spec.handler(context, args))
            outcome = _replies_outcome(replies)
        except FxbotError as error:
            outcome = outcome_of(error)
            usage_spec = spec or self._registry.get(command_name_of(text) or "")
            example = usage_spec.examples[0] if usage_spec and usage_spec.examples else None
            usage = usage_spec.usage if usage_spec else None
            replies = [reply_for_error(error, usage=usage, example=example)]
        except Exception as error:
            outcome = "failed"
            self._log_failure(error, command, spec.name if spec else command_name_of(text))
            replies = [apology(spec.name if spec else None)]
        self._observe(spec.name if spec is not None else None, outcome, started)
        if spec is not None and spec.state_changing and (context is None or context.audited):
            order_ref = context.order_ref if context is not None else None
            await self._record(command, replies, started, order_ref, suffix="")
        return replies

    async def press(self, press: ButtonPress) -> PressResult:
        """Handle a button press: confirmation cards, or a command carried by the button ("/close pos_1")."""
        try:
            if ConfirmationBook.owns(press.action):
                chat_ctx = await self._resolver.resolve(press.chat, press.user)
                return await self._confirmations.press(
                    press, chat_ctx.role, recheck=lambda command: self._recheck(command, chat_ctx))
            if persisted_buttons.owns(press.action) and self._action_tokens is not None:
                return await self._press_token(press, self._action_tokens)
            if press.action.startswith("/"):
                return await self._press_command(press)
            return PressResult(toast=NO_LONGER_ACTIVE, remove_buttons=True)
        except Exception as error:
            self._log_failure(error, IncomingCommand(press.user, press.chat, press.action), "button")
            return PressResult(toast="something went wrong — it was logged", alert=True)

    def _recheck(self, command: str | None, chat_ctx: ChatContext) -> str | None:
        """The access check of a confirmation card's command, run again for the presser at press time (their
        role and the key's scope may have changed since the card was shown); None when still allowed."""
        spec = self._registry.get(command) if command else None
        if spec is None:  # default deny: a card that names no known command is not run
            return f"{NO_LONGER_ACTIVE} — nothing was sent"
        denial = check_access(spec.permission, chat_ctx, spec.name)
        return None if denial is None else f"{denial.reason} — nothing was sent"

    async def _press_token(self, press: ButtonPress, tokens: persisted_buttons.ActionTokenStore) -> PressResult:
        """A notification's button: the presser runs its command line as if typed (same access check,
        confirmation policy and audit). A one-shot action is claimed atomically, and only once the presser is
        allowed to run it (a refused press leaves the button for someone who may)."""
        found = await tokens.find(press.action, press.chat.id)
        if found is persisted_buttons.Lookup.EXPIRED:
            return PressResult(toast=persisted_buttons.EXPIRED, alert=True, remove_buttons=True)
        if found is persisted_buttons.Lookup.USED:
            return PressResult(toast=persisted_buttons.ALREADY_DONE)
        if not isinstance(found, persisted_buttons.ActionToken):
            return PressResult(toast=NO_LONGER_ACTIVE, remove_buttons=True)
        via = "notification button"
        if found.once and await self._may_run(press, found.command) and not await tokens.claim(
                found.token, press.user.id):
            return PressResult(toast=persisted_buttons.ALREADY_DONE)
        return await self._press_command(replace(press, action=found.command), via=via)

    async def _may_run(self, press: ButtonPress, command: str) -> bool:
        """Whether the presser passes the access check of `command` now (the run checks again)."""
        spec = self._registry.get(command_name_of(command) or "")
        if spec is None:
            return False
        chat_ctx = await self._resolver.resolve(press.chat, press.user)
        return check_access(spec.permission, chat_ctx, spec.name) is None

    async def _press_command(self, press: ButtonPress, *, via: str | None = None) -> PressResult:
        incoming = IncomingCommand(press.user, press.chat, press.action, received_at=self._clock(), via=via)
        replies = await self.handle(incoming)
        if not replies:
            return PressResult()
        first = replies[0]
        if first.kind is ReplyKind.ERROR and first.ephemeral and first.image is None and first.text:
            return PressResult(toast=first.text[0][:200], alert=True)  # a refusal goes only to the presser
        return PressResult(reply=first)

    def _unknown(self, name: str) -> Reply:
        suggestion = self._registry.suggest(name)
        hint = f" — did you mean /{suggestion}?" if suggestion else " —"
        return Reply(text=(f"unknown command /{redact_secrets(name)}{hint} /help lists commands",),
                     kind=ReplyKind.ERROR, ephemeral=True)

    def _guard(self, context: CommandContext[object], action: ConfirmAction) -> ConfirmAction:
        """Wrap a confirmed action: errors become replies, and the run is audited."""

        async def guarded() -> Reply:
            started = time.perf_counter()
            try:
                reply = await action()
                outcome = _replies_outcome([reply])
            except FxbotError as error:
                outcome = outcome_of(error)
                reply = reply_for_error(error)
            except Exception as error:
                outcome = "failed"
                self._log_failure(error, context.command, context.command_name)
                reply = Reply(text=(f"something went wrong carrying out /{context.command_name} — it was "
                                    "logged and not retried; check /positions before trying again",),
                              kind=ReplyKind.ERROR)
            await self._record(context.command, [reply], started, context.order_ref, suffix=" [confirmed]")
            self._observe(context.command_name, outcome, started, confirmed=True)
            return reply

        return guarded

    def _observe(self, command: str | None, outcome: str, started: float, *, confirmed: bool = False) -> None:
        if self._observer is None:
            return
        try:
            self._observer.command_handled(command, outcome, time.perf_counter() - started, confirmed=confirmed)
        except Exception:  # metrics never break a command
            log.exception("recording command metrics failed")

    async def _record(
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
                command=self._shown_text(command.text) + suffix + (f" [via {command.via}]" if command.via else ""),
                ok=ok,
                result=self._shown_result(command.text, first),
                latency_ms=round((time.perf_counter() - started) * 1000.0, 3),
                order_ref=order_ref,
            )
        except Exception as error:
            self._log_failure(error, command, "audit")

    def _sensitive_spec(self, text: str) -> CommandSpec[S] | None:
        """The sensitive command `text` runs (by its name, without a full parse), if it runs one."""
        spec = self._registry.get(command_name_of(text) or "")
        return spec if spec is not None and spec.sensitive else None

    def _shown_text(self, text: str) -> str:
        """A command's text as logs and the audit log may show it: keys masked, a sensitive command's
        arguments hidden entirely ("/link [arguments hidden]")."""
        sensitive = self._sensitive_spec(text)
        if sensitive is not None:
            return sensitive.hidden_form
        return redact_secrets(text.strip())[:_MAX_AUDIT_TEXT]

    def _shown_result(self, command_text: str, result: str) -> str:
        """A reply's text for the audit log: keys masked; for a sensitive command, any word of its arguments
        that the reply quotes (e.g. in an error message) is hidden too."""
        shown = redact_secrets(result)
        if self._sensitive_spec(command_text) is not None:
            shown = _hide_words(shown, command_text.strip().split()[1:])
        return shown[:_MAX_AUDIT_TEXT]

    def _log_failure(self, error: BaseException, command: IncomingCommand, name: str | None) -> None:
        """Log an unexpected failure with context; keys are masked in the text and in the traceback, and a
        sensitive command's traceback carries no exception messages (they might quote its arguments)."""
        hide = self._sensitive_spec(command.text) is not None
        trace = redact_secrets(_format_trace(error, with_messages=not hide))
        log.error(
            "unexpected failure in /%s (platform %s, chat %s, user %s, text %r)\n%s",
            name or "?",
            command.chat.platform,
            command.chat.id,
            command.user.id,
            self._shown_text(command.text),
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


def _as_replies(result: object) -> list[Reply]:
    if isinstance(result, Reply):
        return [result]
    if isinstance(result, list) and all(isinstance(r, Reply) for r in result):
        return list(result) or [Reply(text=("done",), kind=ReplyKind.OK)]
    raise TypeError(f"a handler returned {type(result).__name__}, not a Reply or a list of Replies")


