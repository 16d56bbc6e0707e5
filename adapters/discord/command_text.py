"""Slash-command option values written back as one command line, so the one dispatcher parses them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import discord

from fxbot.adapters.discord.identity import user_id_of
from fxbot.chat.argument_types import ArgKind, Argument
from fxbot.chat.registry import CommandSpec

_NEEDS_QUOTES = frozenset('"\'“”‘’«»=\\')


def command_text(spec: CommandSpec[Any], values: Mapping[str, object]) -> str:
    """`/name arg …  key=value …` for the given option values (by argument name; None = not given).

    Positional arguments go in order; once one is left out, later ones are written as name=value
    (the binder accepts that). Text with spaces or quotes is quoted so it stays one value."""
    parts = [f"/{spec.name}"]
    gap = False
    for arg in spec.arguments:
        value = values.get(arg.name)
        if value is None or value == "":
            gap = gap or not arg.keyword
            continue
        if arg.keyword or gap:
            parts.append(f"{arg.name}={_option_value(arg, value)}")
        elif arg.kind is ArgKind.SYMBOLS:
            parts.extend(quote(word) for word in str(value).replace(",", " ").split())
        else:
            parts.append(quote(format_value(value)))
    return " ".join(parts)


def _option_value(arg: Argument, value: object) -> str:
    if arg.kind is ArgKind.SYMBOLS:
        return quote(",".join(str(value).replace(",", " ").split()))
    return quote(format_value(value))


def format_value(value: object) -> str:
    """Numbers without float noise (0.1 -> "0.1", 1e-05 -> "0.00001"), users as "discord:<id>"."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, discord.abc.User):
        return user_id_of(value)
    return str(value)


def quote(text: str) -> str:
    """One parser token: quoted (with \\ and " escaped) when it is empty or holds spaces, quotes or '='."""
    if text and not any(ch.isspace() or ch in _NEEDS_QUOTES for ch in text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
