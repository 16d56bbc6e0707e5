"""Notification buttons on Discord: dynamic items matched by their persisted token, so a press on a message sent
before a restart still reaches the core (the core keeps the token, its expiry and its single use)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from fxbot.chat import persisted_buttons
from fxbot.chat.types import Button

TEMPLATE = re.escape(persisted_buttons.PREFIX) + r"[A-Za-z0-9_-]{1,40}"

LastingPress = Callable[[discord.ui.View, discord.Interaction[Any], str], Awaitable[None]]
LastingButtonType = type[discord.ui.DynamicItem[discord.ui.Button[Any]]]

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "secondary": discord.ButtonStyle.secondary,
}


def lasting_button_type(on_press: LastingPress) -> LastingButtonType:
    """The dynamic item class of one client (register it with `client.add_dynamic_items`)."""

    class LastingButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
        def __init__(self, button: discord.ui.Button[Any]) -> None:
            super().__init__(button)

        @classmethod
        async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                                 match: re.Match[str], /) -> LastingButton:
            if not isinstance(item, discord.ui.Button):  # pragma: no cover - the template only names buttons
                raise TypeError("a notification button's component is a button")
            return cls(item)

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            view = self.view if isinstance(self.view, discord.ui.View) else discord.ui.View(timeout=None)
            await on_press(view, interaction, str(self.item.custom_id))

    return LastingButton


def lasting(buttons: tuple[Button, ...]) -> bool:
    """True when every button carries a persisted token (a notification's buttons)."""
    return bool(buttons) and all(persisted_buttons.owns(b.action) for b in buttons)


def lasting_view(buttons: tuple[Button, ...], item_type: LastingButtonType) -> discord.ui.View:
    """A view without timeout holding the buttons as dynamic items."""
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(item_type(discord.ui.Button(label=button.label[:80], custom_id=button.action,
                                                  style=_STYLES[button.style])))
    return view
