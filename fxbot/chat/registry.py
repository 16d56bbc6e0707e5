"""The one declaration of every command (name, aliases, arguments, help, permission, handler) and lookups."""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from fxbot.chat.argument_types import Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.parser import parse
from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.access import Role, Scope
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import ParseError

S = TypeVar("S")

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}", re.ASCII)  # Telegram's rule for bot commands
MAX_SUMMARY = 256

Handler = Callable[[CommandContext[S], BoundArgs], Awaitable[Reply | list[Reply]]]


@dataclass(frozen=True, slots=True)
class Permission:
    """What a command needs: a key of at least `scope` bound to the chat (None: no key at all), the sender
    at least `role`, and optionally a private chat. A command with a scope always needs the chat's binding."""

    scope: Scope | None
    role: Role
    private_only: bool = False
    needs_binding: bool = True

    def __post_init__(self) -> None:
        if self.scope is not None and not self.needs_binding:
            raise ValueError("a permission with a key scope needs the chat's binding (needs_binding=True)")

    @property
    def needs_key(self) -> bool:
        return self.scope is not None

    def describe(self) -> str:
        """The requirement in words, for /help."""
        parts = ["anyone in the chat" if self.role is Role.VIEWER else f"the {self.role} role or higher"]
        if self.scope is None:
            parts.append("no key needed")
        elif self.scope is Scope.READ_ONLY:
            parts.append("a key bound to the chat (read-only is enough)")
        else:
            better = " or a full one" if self.scope is Scope.TRADE else ""
            parts.append(f"a {self.scope} key{better} bound to the chat")
        if self.private_only:
            parts.append("private chat only")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class CommandSpec(Generic[S]):
    """Everything about one command. `/help`, Telegram menus and Discord slash commands come from here."""

    name: str
    aliases: tuple[str, ...]
    summary: str
    usage: str
    examples: tuple[str, ...]
    arguments: tuple[Argument, ...]
    permission: Permission
    handler: Handler[S]
    state_changing: bool = False
    category: str = "general"
    details: str = ""
    sensitive: bool = False  # its arguments are secret: private chats only, never logged or audited

    @property
    def hidden_form(self) -> str:
        """How a sensitive command is shown in logs and the audit log: "/link [arguments hidden]"."""
        return f"/{self.name} [arguments hidden]"

    def __post_init__(self) -> None:
        for name in (self.name, *self.aliases):
            if not _COMMAND_NAME.fullmatch(name):
                raise ValueError(f"command name {name!r} must be 1-32 characters of a-z, 0-9 and _")
        if not self.summary or len(self.summary) > MAX_SUMMARY:
            raise ValueError(f"/{self.name}: summary must be 1-{MAX_SUMMARY} characters")
        if not self.usage.startswith(f"/{self.name}"):
            raise ValueError(f"/{self.name}: usage must start with /{self.name}")
        if self.sensitive and not self.permission.private_only:
            raise ValueError(f"/{self.name}: a sensitive command must be private_only")
        _check_arguments(self.name, self.arguments)
        for example in self.examples:
            try:
                parsed = parse(example)
            except ParseError as error:
                raise ValueError(f"/{self.name}: example {example!r} does not parse: {error}") from None
            if parsed is None or parsed.name not in (self.name, *self.aliases):
                raise ValueError(f"/{self.name}: example {example!r} is not an example of /{self.name}")


def _check_arguments(command: str, arguments: tuple[Argument, ...]) -> None:
    names = [a.name for a in arguments]
    if len(set(names)) != len(names):
        raise ValueError(f"/{command}: argument names repeat")
    positional = [a for a in arguments if not a.keyword]
    for index, arg in enumerate(positional):
        if arg.variadic and index != len(positional) - 1:
            raise ValueError(f"/{command}: variadic argument {arg.name!r} must be the last positional one")
        if arg.required and any(not earlier.required for earlier in positional[:index]):
            raise ValueError(f"/{command}: required argument {arg.name!r} follows an optional one")


class CommandRegistry(Generic[S]):
    """All commands, in registration order; names and aliases are unique and case-insensitive."""

    def __init__(self) -> None:
        self._specs: list[CommandSpec[S]] = []
        self._by_name: dict[str, CommandSpec[S]] = {}

    def register(self, spec: CommandSpec[S]) -> None:
        """Add a command; raises ValueError when its name or an alias is already taken."""
        for name in (spec.name, *spec.aliases):
            if name in self._by_name:
                raise ValueError(f"/{name} is already registered (by /{self._by_name[name].name})")
        if len(set(spec.aliases) | {spec.name}) != len(spec.aliases) + 1:
            raise ValueError(f"/{spec.name}: an alias repeats the name or another alias")
        self._specs.append(spec)
        for name in (spec.name, *spec.aliases):
            self._by_name[name] = spec

    def get(self, name_or_alias: str) -> CommandSpec[S] | None:
        return self._by_name.get(name_or_alias.lower().lstrip("/"))

    def all(self) -> list[CommandSpec[S]]:
        """Every command in registration order (stable, for menus)."""
        return list(self._specs)

    def suggest(self, name: str) -> str | None:
        """The command someone probably meant by an unknown name (a unique prefix or a close spelling)."""
        wanted = name.lower().lstrip("/")
        if not wanted:
            return None
        prefixed = {s.name for s in self._specs if any(n.startswith(wanted) for n in (s.name, *s.aliases))}
        if len(prefixed) == 1:
            return prefixed.pop()
        matches = difflib.get_close_matches(wanted, list(self._by_name), n=1, cutoff=0.6)
        return self._by_name[matches[0]].name if matches else None

    def help_text(self, name: str) -> Reply:
        """Full help for one command: usage, summary, details, examples, aliases and what it needs."""
        spec = self.get(name)
        if spec is None:
            suggestion = self.suggest(name)
            hint = f" — did you mean /{suggestion}?" if suggestion else ""
            shown = redact_secrets(name.lstrip("/"))[:32]  # a pasted key is never echoed back
            message = f"there is no command /{shown}{hint} /help lists commands"
            return Reply(text=(message,), kind=ReplyKind.ERROR)
        lines = [spec.summary, f"usage: {spec.usage}"]
        if spec.details:
            lines.append(spec.details)
        described = [a for a in spec.arguments if a.help]
        lines.extend(f"  {a.display} — {a.help}" for a in described)
        if spec.examples:
            lines.append("examples: " + "   ".join(spec.examples))
        if spec.aliases:
            lines.append("also: " + " ".join(f"/{a}" for a in spec.aliases))
        lines.append("needs: " + spec.permission.describe())
        if spec.state_changing:
            lines.append("this command changes things and is recorded in the audit log")
        if spec.sensitive:
            lines.append("its arguments are secret: never logged or recorded (only the command name is)")
        return Reply(title=f"/{spec.name}", text=tuple(lines))

    def overview(self, visible: Callable[[CommandSpec[S]], bool] | None = None) -> Reply:
        """Every (visible) command with its summary, grouped by category in registration order."""
        categories: dict[str, list[str]] = {}
        for spec in self._specs:
            if visible is None or visible(spec):
                categories.setdefault(spec.category, []).append(f"/{spec.name} — {spec.summary}")
        lines: list[str] = []
        for category, entries in categories.items():
            lines.append(f"{category}:")
            lines.extend(f"  {entry}" for entry in entries)
        lines.append("/help COMMAND shows the details of one command")
        return Reply(title="Commands", text=tuple(lines))

    def names(self) -> Iterable[str]:
        """Every name and alias."""
        return list(self._by_name)
