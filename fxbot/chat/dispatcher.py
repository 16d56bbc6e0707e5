"""The dispatcher: parse, look up, check access, bind arguments, run the handler, turn errors into replies.

Button presses are handled in `button_presses`; the audit log, metrics and failure logs in `command_records`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from fxbot.chat import persisted_buttons
from fxbot.chat.access import check_access, private_only_denial
from fxbot.chat.arguments import bind_arguments
from fxbot.chat.button_presses import ButtonPresses
from fxbot.chat.command_records import AuditSink, CommandObserver, CommandRecords, outcome_of, replies_outcome
from fxbot.chat.command_scope import command_scope
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.context import ChatContextResolver, CommandContext
from fxbot.chat.error_replies import apology, reply_for_error
from fxbot.chat.parser import command_name_of, parse
from fxbot.chat.registry import CommandRegistry, CommandSpec
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import ButtonPress, IncomingCommand, PressResult, Reply, ReplyKind
from fxbot.domain.redaction import looks_like_key, redact_secrets
from fxbot.errors import FxbotError

log = logging.getLogger(__name__)

S = TypeVar("S")

KEY_IN_GROUP = ("never paste keys in a group — use a private chat with the bot; "
                "this message was deleted if I'm allowed to")
KEY_IN_PRIVATE = "that looks like an FxSocket key — to use it, send /link followed by the key"


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
        self._registry = registry
        self._resolver = resolver
        self._services = services
        self._symbols = SymbolResolver(known_symbols)
        self._confirmations = confirmations
        self._clock = clock
        self._records = CommandRecords(registry, audit, observer, log)
        self._presses = ButtonPresses(registry, resolver, confirmations, action_tokens, clock, self._records,
                                      self.handle)

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
        sensitive = self._records.sensitive_spec(text)
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
            await self._records.record(command, [refusal], started, None, suffix="")
        self._records.observe(spec.name, "denied", started)
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
                self._records.observe(None, "unknown", started)
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
                guard=self._presses.guard,
            )
            replies = _as_replies(await spec.handler(context, args))
            outcome = replies_outcome(replies)
        except FxbotError as error:
            outcome = outcome_of(error)
            usage_spec = spec or self._registry.get(command_name_of(text) or "")
            example = usage_spec.examples[0] if usage_spec and usage_spec.examples else None
            usage = usage_spec.usage if usage_spec else None
            replies = [reply_for_error(error, usage=usage, example=example)]
        except Exception as error:
            outcome = "failed"
            self._records.log_failure(error, command, spec.name if spec else command_name_of(text))
            replies = [apology(spec.name if spec else None)]
        self._records.observe(spec.name if spec is not None else None, outcome, started)
        if spec is not None and spec.state_changing and (context is None or context.audited):
            order_ref = context.order_ref if context is not None else None
            await self._records.record(command, replies, started, order_ref, suffix="")
        return replies

    async def press(self, press: ButtonPress) -> PressResult:
        """Handle a button press: confirmation cards, or a command carried by the button ("/close pos_1")."""
        return await self._presses.press(press)

    def _unknown(self, name: str) -> Reply:
        suggestion = self._registry.suggest(name)
        hint = f" — did you mean /{suggestion}?" if suggestion else " —"
        return Reply(text=(f"unknown command /{redact_secrets(name)}{hint} /help lists commands",),
                     kind=ReplyKind.ERROR, ephemeral=True)


def _as_replies(result: object) -> list[Reply]:
    if isinstance(result, Reply):
        return [result]
    if isinstance(result, list) and all(isinstance(r, Reply) for r in result):
        return list(result) or [Reply(text=("done",), kind=ReplyKind.OK)]
    raise TypeError(f"a handler returned {type(result).__name__}, not a Reply or a list of Replies")
