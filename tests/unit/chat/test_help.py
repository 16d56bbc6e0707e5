"""/help and /start generated from the registry."""

from __future__ import annotations

import pytest

from fxbot.chat.help import register_help_commands
from fxbot.domain.access import Role, Scope

from .fakes import GROUP, PRIVATE, FakeResolver, build_dispatcher, build_registry, message


def test_help_and_start_are_registered_once() -> None:
    registry = build_registry()
    register_help_commands(registry)
    assert registry.get("help") is not None and registry.get("start") is not None
    with pytest.raises(ValueError):
        register_help_commands(registry)


async def test_help_overview_lists_usable_commands_and_counts_the_rest() -> None:
    dispatcher, _, _ = build_dispatcher(FakeResolver(default=(Role.VIEWER, Scope.READ_ONLY)), with_help=True)
    [reply] = await dispatcher.handle(message("/help", chat=GROUP))
    assert reply.title == "Commands"
    lines = "\n".join(reply.text)
    assert "/positions — Open positions" in lines
    assert "/buy" not in lines and "/link" not in lines  # a viewer with a read-only key in a group
    assert reply.text[-1] == "3 more commands need a private chat, a higher role or a key with more scope"


async def test_help_for_one_command() -> None:
    dispatcher, _, _ = build_dispatcher(with_help=True)
    [reply] = await dispatcher.handle(message("/help /B"))
    assert reply.title == "/buy" and "usage: /buy SYMBOL VOLUME [sl=PRICE|PIPSp]" in reply.text
    [reply] = await dispatcher.handle(message("/help byu"))
    assert reply.text == ("there is no command /byu — did you mean /buy? /help lists commands",)


async def test_help_works_without_a_key() -> None:
    dispatcher, _, _ = build_dispatcher(FakeResolver(default=(Role.VIEWER, None)), with_help=True)
    [reply] = await dispatcher.handle(message("/help"))
    assert reply.title == "Commands"


async def test_start_in_private_and_group() -> None:
    dispatcher, _, _ = build_dispatcher(with_help=True)
    [private] = await dispatcher.handle(message("/start", chat=PRIVATE))
    assert private.title == "Welcome to fxbot"
    assert "1. /link KEY — link your FxSocket key (only ever in this private chat)" in private.text
    assert "2. /positions — see open positions" in private.text
    assert private.text[-1] == "Never paste a key in a group chat."
    [group] = await dispatcher.handle(message("/start", chat=GROUP))
    assert not any("/link" in line for line in group.text)
    assert "1. /positions — see open positions" in group.text
