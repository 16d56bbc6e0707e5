"""The Telegram command menu (setMyCommands) generated from the registry, per scope where it differs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)

from fxbot.chat.registry import CommandSpec
from fxbot.domain.access import Role

DESCRIPTION_LIMIT = 256
MENU_LIMIT = 100  # Bot API: at most 100 commands per scope


def _entry(spec: CommandSpec[Any]) -> BotCommand:
    summary = " ".join(spec.summary.split())
    if len(summary) > DESCRIPTION_LIMIT:
        summary = summary[: DESCRIPTION_LIMIT - 1] + "…"
    return BotCommand(spec.name, summary)


def menus(specs: Sequence[CommandSpec[Any]]) -> dict[str, list[BotCommand]]:
    """Menu entries per scope: "private" (everything), "group" (what members may run there) and
    "group_admins" (group commands including admin ones). Aliases are not listed."""
    private = [_entry(s) for s in specs][:MENU_LIMIT]
    in_groups = [s for s in specs if not s.permission.private_only and not getattr(s, "sensitive", False)]
    group = [_entry(s) for s in in_groups if s.permission.role is not Role.ADMIN][:MENU_LIMIT]
    admins = [_entry(s) for s in in_groups][:MENU_LIMIT]
    return {"private": private, "group": group, "group_admins": admins}


def _scopes() -> dict[str, list[BotCommandScope]]:
    return {
        "private": [BotCommandScopeDefault(), BotCommandScopeAllPrivateChats()],
        "group": [BotCommandScopeAllGroupChats()],
        "group_admins": [BotCommandScopeAllChatAdministrators()],
    }


async def register_menus(bot: Bot, specs: Sequence[CommandSpec[Any]]) -> dict[str, list[BotCommand]]:
    """Set every scope's menu; returns what was set (the default scope gets the private list)."""
    lists = menus(specs)
    for name, scopes in _scopes().items():
        for scope in scopes:
            await bot.set_my_commands(lists[name], scope=scope)
    return lists
