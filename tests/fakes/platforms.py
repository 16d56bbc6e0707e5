"""The built-in plugins' platform facts, for harnesses that wire the core without fxbot.app.build."""

from __future__ import annotations

from fxbot.adapters.console import ConsolePlugin
from fxbot.adapters.discord.plugin import DiscordPlugin
from fxbot.adapters.telegram.plugin import TelegramPlugin
from fxbot.plugins import PlatformDirectory, facts_of


def builtin_platforms() -> PlatformDirectory:
    """What console, telegram and discord declare (private vs group, limits, whether they report admins)."""
    plugins = (ConsolePlugin(), TelegramPlugin(), DiscordPlugin())
    return PlatformDirectory({plugin.name: facts_of(plugin) for plugin in plugins})
