"""The full command catalog: registers /help, /start and every feature module's commands on one registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.chat.command_records import AuditSink
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.help import register_help_commands
from fxbot.chat.registry import CommandRegistry
from fxbot.commands import (
    account,
    alerts,
    charts,
    chat_settings,
    digest,
    export,
    guard,
    keys,
    manage,
    market,
    orders,
    reports,
    status,
    team,
    trading,
    watchdog,
    webhooks,
)
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.chat_context import StorageChatContextResolver

if TYPE_CHECKING:
    from fxbot.services.container import Services


def register_all(registry: CommandRegistry[Services]) -> None:
    """Register every command, in the order /help lists them: help, trading, orders, market, account, …"""
    register_help_commands(registry)
    trading.register(registry)
    orders.register(registry)
    manage.register(registry)
    market.register(registry)
    account.register(registry)
    alerts.register(registry)
    reports.register(registry)
    charts.register(registry)
    export.register(registry)
    digest.register(registry)
    keys.register(registry)
    team.register(registry)
    chat_settings.register(registry)
    guard.register(registry)
    watchdog.register(registry)
    webhooks.register(registry)
    status.register(registry)


def build_registry() -> CommandRegistry[Services]:
    """A new registry holding every command."""
    registry: CommandRegistry[Services] = CommandRegistry()
    register_all(registry)
    return registry


def build_dispatcher(
    services: Services,
    *,
    clock: Callable[[], datetime],
    confirmations: ConfirmationBook,
    audit: AuditSink | None,
    platforms_reporting_admins: frozenset[str] = frozenset(),
) -> Dispatcher[Services]:
    """The bot's dispatcher: every command, roles and bindings from storage, the known instruments.

    `platforms_reporting_admins`: the platforms whose plugin declares that it reports chat admins."""
    return Dispatcher(
        build_registry(),
        StorageChatContextResolver(storage=services.storage, platforms_reporting_admins=platforms_reporting_admins),
        services,
        known_symbols=sorted(INSTRUMENTS),
        confirmations=confirmations,
        clock=clock,
        audit=audit,
    )
