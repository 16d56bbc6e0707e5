"""Chat adapter plugins: the `fxbot.adapters` entry-point group, each with its own settings model."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol, TextIO

from pydantic import BaseModel

from fxbot.chat.adapter import ChatAdapter, CommandHandlerPort
from fxbot.chat.types import ChatKind
from fxbot.config import ConfigError
from fxbot.notify.pacing import DEFAULT_LIMITS, PacingLimits

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "fxbot.adapters"

ChatKindRule = Callable[[str], ChatKind]
"""Tells a chat's kind from the platform-local part of its id ("-100123" of "telegram:-100123")."""


def every_chat_is_a_group(local_id: str) -> ChatKind:
    """The conservative rule for a platform that does not say: paced and treated as a group."""
    return ChatKind.GROUP


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    """What the core must know about a chat platform, declared by its plugin (never tabled in the core).

    - `message_limit`: the longest message in characters (None: unlimited); notifications are split to it.
    - `pacing`: the platform's rate limits, which the notifier keeps under.
    - `chat_kind`: private vs group from a chat id (notifications are made for chat ids alone).
    - `reports_admins`: whether the adapter reports chat admins (`ChatUser.is_platform_admin`). When it
      does not (the default), that flag is ignored and nobody is admin in a group until an fxbot admin
      is set there (default deny). A private chat's only user is always its admin.

    A plugin that declares nothing gets these conservative defaults."""

    message_limit: int | None = 2000
    pacing: PacingLimits = DEFAULT_LIMITS
    chat_kind: ChatKindRule = every_chat_is_a_group
    reports_admins: bool = False

    def __post_init__(self) -> None:
        if self.message_limit is not None and self.message_limit < 1:
            raise ValueError(f"message_limit must be positive or None, got {self.message_limit!r}")


DEFAULT_FACTS = PlatformFacts()


class AdapterStartError(Exception):
    """An adapter's `start()` failed; the message is one line for the operator (no secrets).

    `permanent`: retrying cannot help (the platform refused the credentials, the configuration is wrong):
    the app reports it and, when no other adapter runs, exits non-zero. Otherwise it is retried with backoff.
    Exceptions other than this one are judged by the app: time-outs and OSError transient, the rest permanent.
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


async def _no_migration(old_chat_id: str, new_chat_id: str) -> None:
    return None


async def _no_symbols(chat_id: str) -> Sequence[str]:
    return ()


async def _no_settle(chat_id: str) -> None:
    return None


async def _no_reachable(chat_id: str) -> None:
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
    - `on_chat_reachable(chat_id)`: the chat can be posted to again (someone wrote there, the bot was
      re-added) after the platform had refused it; the core sends notifications there again. Cheap
      for a chat that was never refused, so an adapter may call it for every incoming message.
    """

    handler: CommandHandlerPort
    request_shutdown: Callable[[], None]
    stdin: TextIO | None = None
    stdout: TextIO | None = None
    on_chat_migrated: Callable[[str, str], Awaitable[None]] = _no_migration
    symbols: Callable[[str], Awaitable[Sequence[str]]] = _no_symbols
    settle: Callable[[str], Awaitable[None]] = _no_settle
    on_chat_reachable: Callable[[str], Awaitable[None]] = _no_reachable
    extras: dict[str, Any] = field(default_factory=dict)


class AdapterPlugin(Protocol):
    """A chat platform: its name, its settings model, what the core must know about it, and a factory.

    `facts` may be left out by an older plugin: `facts_of` then gives it DEFAULT_FACTS."""

    name: str
    settings_model: type[BaseModel]
    facts: PlatformFacts

    def create(self, settings: Any, runtime: AdapterRuntime) -> ChatAdapter: ...


def facts_of(plugin: object) -> PlatformFacts:
    """The platform facts a plugin declares; the conservative defaults when it declares none."""
    facts = getattr(plugin, "facts", None)
    if facts is None:
        return DEFAULT_FACTS
    if not isinstance(facts, PlatformFacts):
        name = getattr(plugin, "name", type(plugin).__name__)
        raise ConfigError([f"{name}: the chat adapter declares `facts` that are not fxbot.plugins.PlatformFacts"])
    return facts


class PlatformDirectory:
    """The declared facts of every enabled platform, by name; unknown platforms get DEFAULT_FACTS."""

    def __init__(self, facts: Mapping[str, PlatformFacts] | None = None) -> None:
        self._facts = dict(facts or {})

    @classmethod
    def of(cls, plugins: Iterable[AdapterPlugin]) -> PlatformDirectory:
        return cls({plugin.name: facts_of(plugin) for plugin in plugins})

    def __repr__(self) -> str:
        return f"PlatformDirectory({sorted(self._facts)})"

    def facts(self, platform: str) -> PlatformFacts:
        return self._facts.get(platform, DEFAULT_FACTS)

    def pacing_limits(self) -> dict[str, PacingLimits]:
        return {name: facts.pacing for name, facts in self._facts.items()}

    def chat_kinds(self) -> dict[str, ChatKindRule]:
        return {name: facts.chat_kind for name, facts in self._facts.items()}

    def reporting_admins(self) -> frozenset[str]:
        return frozenset(name for name, facts in self._facts.items() if facts.reports_admins)


def available_plugins() -> list[str]:
    """Names registered under the entry-point group (built-in adapters included)."""
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def load_plugin(name: str) -> AdapterPlugin:
    """Import one adapter plugin by name; only enabled adapters are ever imported."""
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not matches:
        known = ", ".join(available_plugins()) or "none"
        raise ConfigError([f"{name}: no chat adapter of that name is installed (installed: {known})"])
    try:
        factory = matches[0].load()
        plugin: AdapterPlugin = factory() if isinstance(factory, type) else factory
    except Exception as error:  # a broken or half-installed plugin: say which and why, no traceback
        log.debug("loading chat adapter %s failed", name, exc_info=True)
        raise ConfigError([f"{name}: the chat adapter could not be loaded ({type(error).__name__}: {error})"]) from None
    facts_of(plugin)
    return plugin
