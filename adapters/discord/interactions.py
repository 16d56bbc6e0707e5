"""Slash commands and button presses in, neutral replies out: defer, dispatch through the one core, follow up."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import discord

from fxbot.adapters.discord.autocomplete import Completer
from fxbot.adapters.discord.command_text import command_text
from fxbot.adapters.discord.identity import chat_ref, chat_user
from fxbot.adapters.discord.render import OutgoingMessage, escape, render_reply
from fxbot.adapters.discord.views import ActionView
from fxbot.chat.adapter import CommandHandlerPort
from fxbot.chat.argument_types import Argument
from fxbot.chat.registry import CommandSpec
from fxbot.chat.types import ButtonPress, ChatKind, ChatRef, IncomingCommand, Reply, ReplyKind

log = logging.getLogger(__name__)

NOT_ALLOWED = "you are not allowed to use this bot — ask its owner to add your Discord id to discord.allowed_users"
NO_DEFER = frozenset({"help"})  # answered at once; everything else may touch FxSocket or the database
_NONE = discord.AllowedMentions.none()


class InteractionRunner:
    """Turns interactions into IncomingCommand / ButtonPress for the dispatcher and renders the answers.

    Visibility: in a shared channel, state-changing commands (trades, roles, bindings) are answered in
    public so the team sees them; everything else, and every error or `Reply.ephemeral`, only to the
    person who asked. In DMs there is nobody else, so nothing is ephemeral."""

    def __init__(self, handler: CommandHandlerPort, completer: Completer, *, allowed_users: Sequence[int] = (),
                 admins_are_platform_admins: bool = True, confirm_timeout_s: float = 60.0) -> None:
        self._handler = handler
        self._completer = completer
        self._allowed = frozenset(allowed_users)
        self._admins = admins_are_platform_admins
        self._timeout = confirm_timeout_s
        self.on_chat_seen: list[Callable[[ChatRef], None]] = []

    def allowed(self, interaction: discord.Interaction[Any]) -> bool:
        return not self._allowed or interaction.user.id in self._allowed

    # --- slash commands ------------------------------------------------------------------------------

    async def invoke(self, interaction: discord.Interaction[Any], spec: CommandSpec[Any],
                     values: dict[str, object]) -> None:
        """Run one slash command: ack first (within Discord's 3 s), then the dispatcher, then follow-ups."""
        try:
            if not self.allowed(interaction):
                await interaction.response.send_message(NOT_ALLOWED, ephemeral=True, allowed_mentions=_NONE)
                return
            chat = chat_ref(interaction)
            user = chat_user(interaction, admins_are_platform_admins=self._admins)
            for seen in self.on_chat_seen:
                seen(chat)
            shared = chat.kind is ChatKind.GROUP
            public = shared and spec.state_changing and not spec.permission.private_only
            deferred_ephemeral: bool | None = None
            if spec.name not in NO_DEFER:
                deferred_ephemeral = shared and not public
                await interaction.response.defer(thinking=True, ephemeral=deferred_ephemeral)
            incoming = IncomingCommand(user=user, chat=chat, text=command_text(spec, values),
                                       message_id=str(interaction.id))
            replies = await self._handler.handle(incoming)
            await self.deliver(interaction, chat, replies, deferred_ephemeral=deferred_ephemeral,
                               quiet=shared and not public)
        except discord.HTTPException as error:
            log.warning("discord: could not answer /%s (HTTP %s, code %s)", spec.name, error.status, error.code)
        except Exception:
            log.exception("discord: /%s failed in the adapter", spec.name)

    async def complete(self, interaction: discord.Interaction[Any], spec: CommandSpec[Any], arg: Argument,
                       current: str) -> list[discord.app_commands.Choice[str]]:
        """Autocomplete answers (≤ 25): symbols of the chat's account, or command names for /help."""
        if not self.allowed(interaction):
            return []
        try:
            if spec.name == "help":
                names = [s.name for s in self._handler.commands()]
                values = self._completer.match(names, current)
            else:
                values = await self._completer.symbols(chat_ref(interaction).id, current,
                                                       multiple=arg.kind.value == "symbols")
        except Exception:
            log.exception("discord: autocomplete for /%s failed", spec.name)
            return []
        return [discord.app_commands.Choice(name=value[:100], value=value[:100]) for value in values]

    # --- buttons ---------------------------------------------------------------------------------------

    async def press(self, view: discord.ui.View, interaction: discord.Interaction[Any], action: str) -> None:
        """A button press: ack at once (confirming may place an order), let the core decide, show the result."""
        try:
            if not self.allowed(interaction):
                await interaction.response.send_message(NOT_ALLOWED, ephemeral=True, allowed_mentions=_NONE)
                return
            chat = chat_ref(interaction)
            user = chat_user(interaction, admins_are_platform_admins=self._admins)
            await interaction.response.defer()
            message_id = str(interaction.message.id) if interaction.message is not None else None
            result = await self._handler.press(ButtonPress(user=user, chat=chat, action=action,
                                                           message_id=message_id))
            if result.remove_buttons:
                _disable(view)
                await interaction.edit_original_response(view=view)
            if result.toast and (result.alert or result.reply is None):
                await interaction.followup.send(escape(result.toast), ephemeral=True, allowed_mentions=_NONE)
            if result.reply is not None:
                await self.deliver(interaction, chat, [result.reply], deferred_ephemeral=None, quiet=False,
                                   followups_only=True)
        except discord.HTTPException as error:
            log.warning("discord: could not answer a button press (HTTP %s, code %s)", error.status, error.code)
        except Exception:
            log.exception("discord: a button press failed in the adapter")

    # --- answers ---------------------------------------------------------------------------------------

    async def deliver(self, interaction: discord.Interaction[Any], chat: ChatRef, replies: list[Reply], *,
                      deferred_ephemeral: bool | None, quiet: bool, followups_only: bool = False) -> None:
        """Send replies as the interaction's answer. `deferred_ephemeral` is how the interaction was
        deferred (None: not deferred). The first follow-up after a defer replaces the "thinking…" message
        and inherits its visibility, so a private answer to a public defer deletes that message first."""
        if not replies:
            replies = [Reply(text=("done",), kind=ReplyKind.OK)]
        first = not followups_only
        for reply in replies:
            ephemeral = chat.kind is ChatKind.GROUP and (quiet or reply.ephemeral or reply.kind is ReplyKind.ERROR)
            messages = render_reply(reply)
            for index, message in enumerate(messages):
                view = self._view_for(reply, message) if index == len(messages) - 1 else None
                if first and deferred_ephemeral is None:
                    await self._respond(interaction, message, ephemeral, view)
                else:
                    if first and ephemeral and deferred_ephemeral is False:
                        await interaction.delete_original_response()
                    sent = await interaction.followup.send(
                        **message_kwargs(message, view), ephemeral=ephemeral, allowed_mentions=_NONE, wait=True,
                    )
                    if view is not None:
                        view.message = sent
                first = False

    async def _respond(self, interaction: discord.Interaction[Any], message: OutgoingMessage, ephemeral: bool,
                       view: ActionView | None) -> None:
        await interaction.response.send_message(**message_kwargs(message, view), ephemeral=ephemeral,
                                                allowed_mentions=_NONE)
        if view is not None:
            view.message = await interaction.original_response()

    def _view_for(self, reply: Reply, message: OutgoingMessage) -> ActionView | None:
        if not reply.buttons:
            return None
        return ActionView(reply.buttons, self.press, timeout=self._timeout, content=message.content)


def message_kwargs(message: OutgoingMessage, view: discord.ui.View | None) -> dict[str, Any]:
    """Only the parts a message has (Discord rejects empty content with nothing else)."""
    kwargs: dict[str, Any] = {}
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = message.embeds
    files = message.files()
    if files:
        kwargs["files"] = files
    if view is not None:
        kwargs["view"] = view
    return kwargs


def _disable(view: discord.ui.View) -> None:
    """Grey out a message's buttons after a decision (a notification's view is rebuilt from the message)."""
    if isinstance(view, ActionView):
        view.disable()
        return
    for item in view.children:
        if isinstance(item, discord.ui.Button):
            item.disabled = True
        elif isinstance(item, discord.ui.DynamicItem) and isinstance(item.item, discord.ui.Button):
            item.item.disabled = True
    view.stop()
