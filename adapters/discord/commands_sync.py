"""Slash commands generated from the command registry (typed options, choices, ranges, autocomplete), the
synced payload, its hash, and which scope (global or guilds) each command is synced to."""

from __future__ import annotations

import hashlib
import inspect
import json
import keyword
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.enums import AppCommandOptionType

from fxbot.chat.argument_types import ArgKind, Argument
from fxbot.chat.argument_values import DEFAULT_MAX_VOLUME, TIMEFRAMES, VOLUME_STEP
from fxbot.chat.registry import CommandSpec
from fxbot.domain.access import Role, Scope

DESCRIPTION_LIMIT = 100  # Discord: command and option descriptions are 1-100 characters
MAX_CHOICES = 25

Invoke = Callable[[discord.Interaction[Any], CommandSpec[Any], dict[str, object]], Awaitable[None]]
Complete = Callable[[discord.Interaction[Any], CommandSpec[Any], Argument, str],
                    Awaitable[list[app_commands.Choice[str]]]]
SlashCommand = app_commands.Command[Any, ..., None]

_KIND_HINTS = {
    ArgKind.SYMBOL: "a symbol, e.g. EURUSD",
    ArgKind.SYMBOLS: "one or more symbols, e.g. EURUSD GBPUSD",
    ArgKind.VOLUME: "lots, e.g. 0.10",
    ArgKind.PRICE: "a price",
    ArgKind.PRICE_OR_PIPS: "a price (1.0850) or pips (20p)",
    ArgKind.POSITIVE_INT: "a whole number",
    ArgKind.DATE: "a date, YYYY-MM-DD",
    ArgKind.TIMEFRAME: "a timeframe",
    ArgKind.ORDER_REF: "a position or order id (pos_… / ord_…)",
    ArgKind.KEY_NAME: "the name of a key",
    ArgKind.USER_REF: "a member",
    ArgKind.SCOPE: "read-only, trade or full",
    ArgKind.ROLE: "viewer, trader or admin",
}


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """Text cut to `limit` characters with an ellipsis (Discord rejects longer descriptions)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def autocompleted(spec: CommandSpec[Any], arg: Argument) -> bool:
    """Symbols complete from the chat's account; /help completes command names."""
    return arg.kind in (ArgKind.SYMBOL, ArgKind.SYMBOLS) or (spec.name == "help" and arg.name == "command")


def choices_of(arg: Argument) -> tuple[str, ...]:
    """The fixed values an argument offers as Discord choices (empty: free input)."""
    if arg.kind is ArgKind.CHOICE:
        return arg.choices
    if arg.kind is ArgKind.TIMEFRAME:
        return arg.choices or TIMEFRAMES
    if arg.kind is ArgKind.SCOPE:
        return tuple(s.value for s in Scope)
    if arg.kind is ArgKind.ROLE:
        return tuple(r.value for r in Role)
    return ()


def _range(kind: type, low: float | int | None, high: float | int | None) -> Any:
    """app_commands.Range[kind, low, high] built at run time."""
    return getattr(app_commands, "Range")[(kind, low, high)]  # noqa: B009 - Range is typing-only for mypy


def _annotation(arg: Argument) -> Any:
    if arg.kind is ArgKind.VOLUME:
        low = arg.min if arg.min is not None else float(VOLUME_STEP)
        return _range(float, float(low), float(arg.max if arg.max is not None else DEFAULT_MAX_VOLUME))
    if arg.kind is ArgKind.PRICE:
        if arg.min is None and arg.max is None:
            return float
        return _range(float, None if arg.min is None else float(arg.min),
                      None if arg.max is None else float(arg.max))
    if arg.kind is ArgKind.POSITIVE_INT:
        return _range(int, int(arg.min) if arg.min is not None else 1,
                      int(arg.max) if arg.max is not None else None)
    if arg.kind is ArgKind.USER_REF:
        return discord.User
    if arg.kind in (ArgKind.TEXT, ArgKind.KEY_NAME) and arg.max is not None:
        return _range(str, None, int(arg.max))
    return str


def _description(arg: Argument) -> str:
    return shorten(arg.help or _KIND_HINTS.get(arg.kind, arg.name.replace("_", " ")))


def build_command(spec: CommandSpec[Any], invoke: Invoke, complete: Complete) -> SlashCommand:
    """One slash command whose options mirror the spec's arguments; invoking it calls `invoke` with the
    values by argument name."""
    names = {arg.name: (arg.name + "_" if keyword.iskeyword(arg.name) else arg.name) for arg in spec.arguments}
    by_python_name = {python: spec_name for spec_name, python in names.items()}

    async def callback(interaction: discord.Interaction[Any], **values: object) -> None:
        await invoke(interaction, spec, {by_python_name[k]: v for k, v in values.items()})

    parameters = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=discord.Interaction)]
    descriptions: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    autocomplete: dict[str, Callable[..., Awaitable[list[app_commands.Choice[str]]]]] = {}
    renames: dict[str, str] = {}
    for arg in spec.arguments:
        python = names[arg.name]
        default = inspect.Parameter.empty if arg.required else None
        parameters.append(inspect.Parameter(python, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=_annotation(arg)))
        descriptions[python] = _description(arg)
        if python != arg.name:
            renames[python] = arg.name
        fixed = choices_of(arg)
        if fixed and len(fixed) <= MAX_CHOICES:
            choices[python] = [app_commands.Choice(name=value, value=value) for value in fixed]
        elif autocompleted(spec, arg):
            autocomplete[python] = _completer(spec, arg, complete)
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"slash_{spec.name}"
    callback.__doc__ = None
    callback.__discord_app_commands_param_description__ = descriptions  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_choices__ = choices  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_autocomplete__ = autocomplete  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_rename__ = renames  # type: ignore[attr-defined]
    contexts = app_commands.AppCommandContext(dm_channel=True) if spec.permission.private_only else None
    return app_commands.Command(name=spec.name, description=shorten(spec.summary), callback=callback,
                                allowed_contexts=contexts)


def _completer(spec: CommandSpec[Any], arg: Argument,
               complete: Complete) -> Callable[..., Awaitable[list[app_commands.Choice[str]]]]:
    async def autocomplete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return (await complete(interaction, spec, arg, current))[:MAX_CHOICES]

    autocomplete.__qualname__ = autocomplete.__name__ = f"complete_{spec.name}_{arg.name}"
    return autocomplete


def install_commands(tree: app_commands.CommandTree[Any], specs: Sequence[CommandSpec[Any]], invoke: Invoke,
                     complete: Complete, *, guild_ids: Sequence[int] = ()) -> list[SlashCommand]:
    """Add a slash command per spec. With `guild_ids` (testing), commands go to those guilds, except the
    private-only ones (/link…), which stay global so they work in DMs; otherwise everything is global."""
    commands = [build_command(spec, invoke, complete) for spec in specs]
    guilds = [discord.Object(id=g) for g in guild_ids]
    for spec, command in zip(specs, commands, strict=True):
        if guilds and not spec.permission.private_only:
            tree.add_command(command, guilds=guilds)
        else:
            tree.add_command(command)
    return commands


def command_payload(tree: app_commands.CommandTree[Any], guild_id: int | None = None) -> list[dict[str, Any]]:
    """Exactly what `tree.sync(guild=…)` sends for one scope (None: the global commands)."""
    guild = discord.Object(id=guild_id) if guild_id is not None else None
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]


def payload_hash(payload: list[dict[str, Any]]) -> str:
    """A stable fingerprint of a command payload (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def option_type_of(arg: Argument) -> AppCommandOptionType:
    """The Discord option type an argument becomes (documentation and tests)."""
    annotation = _annotation(arg)
    if annotation is float:
        return AppCommandOptionType.number
    if annotation is str:
        return AppCommandOptionType.string
    if annotation is discord.User:
        return AppCommandOptionType.user
    option_type: AppCommandOptionType = annotation.type
    return option_type
