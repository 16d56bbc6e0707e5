"""The two ports between the chat core and a chat platform: what an adapter offers and what it calls."""

from __future__ import annotations

from typing import Any, Protocol

from fxbot.chat.registry import CommandSpec
from fxbot.chat.types import ButtonPress, ChatRef, IncomingCommand, PressResult, Reply


class ChatAdapter(Protocol):
    """A chat platform (Telegram, Discord, console): receives messages, renders neutral replies."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Render and send `reply`; returns the platform message id when there is one."""
        ...


class CommandHandlerPort(Protocol):
    """What an adapter calls: every message, every button press, and the command list for menus."""

    async def handle(self, command: IncomingCommand) -> list[Reply]: ...

    async def press(self, press: ButtonPress) -> PressResult: ...

    def commands(self) -> list[CommandSpec[Any]]: ...
