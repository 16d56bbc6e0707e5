"""Buttons of a reply as a discord.py View: presses go to the core, which decides; disabled afterwards."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.types import Button

log = logging.getLogger(__name__)

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "secondary": discord.ButtonStyle.secondary,
}

PressHandler = Callable[["ActionView", discord.Interaction[Any], str], Awaitable[None]]


class EditableMessage(Protocol):
    """A sent message the View can edit on timeout (a channel message or an interaction follow-up)."""

    async def edit(self, *, content: str | None = ..., view: discord.ui.View | None = ...) -> Any: ...


class ActionButton(discord.ui.Button["ActionView"]):
    """One neutral Button; its custom_id is the core's action token."""

    def __init__(self, button: Button) -> None:
        super().__init__(label=button.label[:80], custom_id=button.action, style=_STYLES[button.style])
        self.action = button.action

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        view = self.view
        if view is not None:
            await view.route(interaction, self.action)


class ActionView(discord.ui.View):
    """The buttons of one message. Whoever presses, the press is routed to the core (ConfirmationBook
    decides who may confirm); after a decision the buttons are disabled; on timeout (the core's
    confirmation expiry) the message is edited to say so."""

    def __init__(self, buttons: tuple[Button, ...], on_press: PressHandler, *, timeout: float | None,
                 content: str | None = None) -> None:
        super().__init__(timeout=timeout)
        self._on_press = on_press
        self._content = content
        self._expiry = timeout
        self.message: EditableMessage | None = None
        self.decided = False
        for button in buttons:
            self.add_item(ActionButton(button))

    @property
    def is_confirmation(self) -> bool:
        return any(isinstance(i, ActionButton) and ConfirmationBook.owns(i.action) for i in self.children)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Routes every press: the core, not the View, decides who may press (it answers refusals)."""
        return True

    async def route(self, interaction: discord.Interaction[Any], action: str) -> None:
        await self._on_press(self, interaction, action)

    def disable(self) -> None:
        """Grey out every button (after a decision or on timeout) and stop listening."""
        self.decided = True
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        self.stop()

    def expired_content(self) -> str | None:
        """The message text after expiry: the original text plus a note (None: keep the text)."""
        if not self.is_confirmation:
            return None
        note = f"⌛ expired after {self._expiry:g} s — nothing was sent"
        if self._content is None:
            return note
        combined = f"{self._content}\n{note}"
        return combined if len(combined) <= 2000 else None

    async def on_timeout(self) -> None:
        if self.decided:
            return
        self.disable()
        if self.message is None:
            return
        with contextlib.suppress(discord.HTTPException):
            content = self.expired_content()
            if content is None:
                await self.message.edit(view=self)
            else:
                await self.message.edit(content=content, view=self)

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception,
                       item: discord.ui.Item[Any], /) -> None:
        log.error("discord: a button press failed (%s)", type(error).__name__, exc_info=error)
