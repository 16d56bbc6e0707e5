"""Builders for the argument tests: a command around some arguments, and binding a text against it."""

from __future__ import annotations

import pytest

from fxbot.chat.arguments import ArgKind, Argument, BoundArgs, bind_arguments
from fxbot.chat.parser import parse
from fxbot.chat.registry import CommandSpec, Permission
from fxbot.chat.types import Reply
from fxbot.domain.access import Role
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import UsageError

KNOWN = tuple(INSTRUMENTS)


async def _noop(ctx: object, args: BoundArgs) -> Reply:
    return Reply()


def spec(*arguments: Argument, name: str = "cmd", usage: str | None = None) -> CommandSpec[object]:
    return CommandSpec(name=name, aliases=(), summary="test", usage=usage or f"/{name} ARGS",
                       examples=(f"/{name} example",), arguments=arguments,
                       permission=Permission(None, Role.VIEWER), handler=_noop)


def bind(text: str, *arguments: Argument, known: tuple[str, ...] = KNOWN) -> BoundArgs:
    parsed = parse(text)
    assert parsed is not None
    return bind_arguments(spec(*arguments), parsed, known)


def one(kind: ArgKind, text: str, name: str = "x", **extra: object) -> object:
    return bind(f"/cmd {text}", Argument(name, kind, **extra))[name]  # type: ignore[arg-type]


def error_of(kind: ArgKind, text: str, name: str = "x", **extra: object) -> str:
    with pytest.raises(UsageError) as caught:
        one(kind, text, name, **extra)
    return caught.value.message
