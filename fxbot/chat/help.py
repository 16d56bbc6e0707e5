"""The /help and /start commands, generated from the registry so help never drifts from the commands."""

from __future__ import annotations

from typing import TypeVar

from fxbot.chat.access import check_access
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply
from fxbot.domain.access import Role

S = TypeVar("S")

_ANYONE = Permission(scope=None, role=Role.VIEWER)


def register_help_commands(registry: CommandRegistry[S]) -> None:
    """Register /help [COMMAND] and /start on `registry` (call after or before the other commands)."""

    async def help_handler(context: CommandContext[object], args: BoundArgs) -> Reply:
        name = args.optional("command", str)
        if name:
            return registry.help_text(name.strip().lstrip("/"))

        def usable_here(spec: CommandSpec[S]) -> bool:
            return check_access(spec.permission, context.ctx, spec.name) is None

        overview = registry.overview(usable_here)
        hidden = len(registry.all()) - sum(1 for spec in registry.all() if usable_here(spec))
        if hidden:
            note = (f"{hidden} more command{'s' if hidden != 1 else ''} need a private chat, "
                    "a higher role or a key with more scope")
            overview = Reply(title=overview.title, text=(*overview.text, note))
        return overview

    async def start_handler(context: CommandContext[object], args: BoundArgs) -> Reply:
        return _welcome(registry, private=context.chat.is_private)

    registry.register(
        CommandSpec(
            name="help",
            aliases=(),
            summary="List the commands, or show how to use one",
            usage="/help [COMMAND]",
            examples=("/help", "/help buy"),
            arguments=(Argument("command", ArgKind.TEXT, required=False, help="a command name, e.g. buy"),),
            permission=_ANYONE,
            handler=help_handler,
            category="help",
            details="Without a command it lists what you can use in this chat.",
        )
    )
    registry.register(
        CommandSpec(
            name="start",
            aliases=(),
            summary="What this bot does and the first steps",
            usage="/start",
            examples=("/start",),
            arguments=(),
            permission=_ANYONE,
            handler=start_handler,
            category="help",
        )
    )


def _welcome(registry: CommandRegistry[S], *, private: bool) -> Reply:
    steps: list[str] = []
    if private and registry.get("link"):
        steps.append("/link KEY — link your FxSocket key (only ever in this private chat)")
    if not private and registry.get("bind"):
        steps.append("/bind — a chat admin binds an FxSocket key to this group")
    for name, what in (("account", "check balance, equity and margin"), ("positions", "see open positions"),
                       ("price", "get a quote, e.g. /price EURUSD")):
        if registry.get(name):
            steps.append(f"/{name} — {what}")
    steps.append("/help — every command and how to use it")
    numbered = tuple(f"{i}. {step}" for i, step in enumerate(steps, start=1))
    intro = "fxbot runs your MetaTrader account from chat through FxSocket."
    warning = "Never paste a key in a group chat."
    return Reply(title="Welcome to fxbot", text=(intro, *numbered, warning))
