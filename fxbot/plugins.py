"""Chat adapter plugins: the `fxbot.adapters` entry-point group, each with its own settings model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol, TextIO

from pydantic import BaseModel

from fxbot.chat.adapter import ChatAdapter, CommandHandlerPort
from fxbot.config import ConfigError

ENTRY_POINT_GROUP = "fxbot.adapters"


async def _no_migration(old_chat_id: str, new_chat_id: str) -> None:
    return None


async def _no_symbols(chat_id: str) -> Sequence[str]:
    return ()


async def _no_settle(chat_id: str) -> None:
    return None


@dataclass
class AdapterRuntime:
    """What the app hands an adapter: the command port, core hooks, and a way to ask the app to stop.

    - `handler`: commands and button presses go here (the dispatcher).
    - `request_shutdown`: ask the app to stop (the console at end of input).
    - `on_chat_migrated(old, new)`: a chat changed id (Telegram group -> supergroup); the core moves
      its binding, roles, settings, alerts and outbox.
    - `symbols(chat_id)`: the symbols that chat's account trades (for autocomplete).
    - `settle(chat_id)`: wait (bounded) until that chat's in-flight notifications, such as the fills of
      orders it just placed, are delivered (the console calls it at end of input, before stopping).
    """

    handler: CommandHandlerPort
    request_shutdown: Callable[[], None]
    stdin: TextIO | None = None
    stdout: TextIO | None = None
    on_chat_migrated: Callable[[str, str], Awaitable[None]] = _no_migration
    symbols: Callable[[str], Awaitable[Sequence[str]]] = _no_symbols
    settle: Callable[[str], Awaitable[None]] = _no_settle
    extras: dict[str, Any] = field(default_factory=dict)


class AdapterPlugin(Protocol):
    """A chat platform: its name, its settings model and a factory for its adapter."""

    name: str
    settings_model: type[BaseModel]

    def create(self, settings: Any, runtime: AdapterRuntime) -> ChatAdapter: ...


def available_plugins() -> list[str]:
    """Names registered under the entry-point group (built-in adapters included)."""
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def load_plugin(name: str) -> AdapterPlugin:
    """Import one adapter plugin by name; only enabled adapters are ever imported."""
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not matches:
        known = ", ".join(available_plugins()) or "none"
        raise ConfigError([f"{name}: no chat adapter of that name is installed (installed: {known})"])
    factory = matches[0].load()
    plugin: AdapterPlugin = factory() if isinstance(factory, type) else factory
    return plugin
