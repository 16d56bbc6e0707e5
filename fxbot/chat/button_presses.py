"""Button presses: confirmation cards (access re-checked, the confirmed action guarded), notification buttons."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Generic, TypeVar

from fxbot.chat import persisted_buttons
from fxbot.chat.access import check_access
from fxbot.chat.command_records import CommandRecords, outcome_of, replies_outcome
from fxbot.chat.confirmations import NO_LONGER_ACTIVE, ConfirmAction, ConfirmationBook
from fxbot.chat.context import ChatContext, ChatContextResolver, CommandContext
from fxbot.chat.error_replies import reply_for_error
from fxbot.chat.parser import command_name_of
from fxbot.chat.registry import CommandRegistry
from fxbot.chat.types import ButtonPress, IncomingCommand, PressResult, Reply, ReplyKind
from fxbot.errors import FxbotError

S = TypeVar("S")


class ButtonPresses(Generic[S]):
    """The dispatcher's button side: a press runs a confirmation card's action, or a button's command line as if
    typed (through `handle`: the same access check, confirmation policy and audit)."""

    def __init__(
        self,
        registry: CommandRegistry[S],
        resolver: ChatContextResolver,
        confirmations: ConfirmationBook,
        action_tokens: persisted_buttons.ActionTokenStore | None,
        clock: Callable[[], datetime],
        records: CommandRecords[S],
        handle: Callable[[IncomingCommand], Awaitable[list[Reply]]],
    ) -> None:
        self._registry = registry
        self._resolver = resolver
        self._confirmations = confirmations
        self._action_tokens = action_tokens
        self._clock = clock
        self._records = records
        self._handle = handle

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
            self._records.log_failure(error, IncomingCommand(press.user, press.chat, press.action), "button")
            return PressResult(toast="something went wrong — it was logged", alert=True)

    def guard(self, context: CommandContext[object], action: ConfirmAction) -> ConfirmAction:
        """Wrap a confirmed action: errors become replies, and the run is audited."""

        async def guarded() -> Reply:
            started = time.perf_counter()
            try:
                reply = await action()
                outcome = replies_outcome([reply])
            except FxbotError as error:
                outcome = outcome_of(error)
                reply = reply_for_error(error)
            except Exception as error:
                outcome = "failed"
                self._records.log_failure(error, context.command, context.command_name)
                reply = Reply(text=(f"something went wrong carrying out /{context.command_name} — it was "
                                    "logged and not retried; check /positions before trying again",),
                              kind=ReplyKind.ERROR)
            await self._records.record(context.command, [reply], started, context.order_ref, suffix=" [confirmed]")
            self._records.observe(context.command_name, outcome, started, confirmed=True)
            return reply

        return guarded

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
        replies = await self._handle(incoming)
        if not replies:
            return PressResult()
        first = replies[0]
        if first.kind is ReplyKind.ERROR and first.ephemeral and first.image is None and first.text:
            return PressResult(toast=first.text[0][:200], alert=True)  # a refusal goes only to the presser
        return PressResult(reply=first)
