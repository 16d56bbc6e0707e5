"""Composition root: build(settings) wires storage, services, commands and adapters; run() owns the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import httpx

from fxbot.chat.adapter import ChatAdapter
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.registry import CommandRegistry
from fxbot.commands.catalog import register_all
from fxbot.config import ConfigError, Settings, validate_adapter_section
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.plugins import AdapterRuntime, load_plugin
from fxbot.services.audit_sink import StorageAuditSink
from fxbot.services.chat_context import StorageChatContextResolver
from fxbot.services.console_key import ConsoleKeySettings, ensure_console_key
from fxbot.services.container import Services, build_services
from fxbot.storage.store import Storage

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    """The assembled bot: one storage, one service container, one dispatcher, the enabled adapters."""

    settings: Settings
    storage: Storage
    http: httpx.AsyncClient
    services: Services
    dispatcher: Dispatcher[Services]
    adapters: list[ChatAdapter] = field(default_factory=list)
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)

    def request_shutdown(self) -> None:
        """Ask run() to stop (signal handlers and the console's end of input call this)."""
        self.shutdown.set()

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        """Start every adapter, wait for a shutdown request, stop them in reverse order, close storage."""
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if install_signal_handlers:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, self.request_shutdown)
                    installed.append(sig)
        started: list[ChatAdapter] = []
        try:
            for adapter in self.adapters:
                try:
                    await adapter.start()
                except Exception:  # one adapter failing to start never takes the others down
                    log.exception("adapter %s failed to start; the others keep running", adapter.name)
                    continue
                started.append(adapter)
                log.info("adapter %s started", adapter.name)
            if not started and self.adapters:
                log.error("no adapter could start; stopping")
                return
            await self.shutdown.wait()
        finally:
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("adapter %s failed to stop cleanly", adapter.name)
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.close()

    async def move_chat(self, old_chat_id: str, new_chat_id: str) -> None:
        """A chat changed id on its platform: move everything it owns to the new id."""
        moved = await self.storage.move_chat(old_chat_id, new_chat_id)
        log.info("chat %s migrated to %s (%d rows moved)", old_chat_id, new_chat_id, moved)

    async def symbols_for_chat(self, chat_id: str) -> Sequence[str]:
        """Symbols offered for autocomplete (FxSocket has no symbol list, so the known instruments)."""
        return sorted(INSTRUMENTS)

    async def close(self) -> None:
        """Release the HTTP client and the database (idempotent)."""
        await self.services.close()
        await self.http.aclose()
        await self.storage.close()


async def build(
    settings: Settings,
    *,
    env: Mapping[str, str],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    clock: Callable[[], datetime] = _utcnow,
    adapter_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    adapter_extras: Mapping[str, Mapping[str, Any]] | None = None,
) -> App:
    """Wire the whole bot from settings; adapters are created but not started.

    `adapter_overrides` patches adapter config sections (the CLI enables the console this way);
    `adapter_extras` hands objects to one adapter's runtime (tests inject fake platform transports).
    """
    sections = {name: dict(values) for name, values in settings.adapters.items()}
    for name, values in (adapter_overrides or {}).items():
        sections.setdefault(name, {}).update(values)
    plugins = []
    for name, section in sections.items():
        if not section.get("enabled", True):
            continue
        plugin = load_plugin(name)
        plugins.append((plugin, validate_adapter_section(name, plugin.settings_model, section)))
    storage = await Storage.open(settings.database.path, env)
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
    try:
        services = await build_services(
            storage,
            http=http,
            base_url=settings.fxsocket.base_url,
            stream_url=settings.fxsocket.stream_url,
            clock=clock,
        )
        registry: CommandRegistry[Services] = CommandRegistry()
        register_all(registry)
        dispatcher: Dispatcher[Services] = Dispatcher(
            registry,
            StorageChatContextResolver(storage=storage),
            services,
            known_symbols=sorted(INSTRUMENTS),
            confirmations=ConfirmationBook(clock=clock),
            clock=clock,
            audit=StorageAuditSink(storage, clock),
        )
        app = App(settings=settings, storage=storage, http=http, services=services, dispatcher=dispatcher)
        for plugin, plugin_settings in plugins:
            runtime = AdapterRuntime(
                handler=dispatcher,
                request_shutdown=app.request_shutdown,
                stdin=stdin,
                stdout=stdout,
                on_chat_migrated=app.move_chat,
                symbols=app.symbols_for_chat,
                extras=dict((adapter_extras or {}).get(plugin.name, {})),
            )
            if isinstance(plugin_settings, ConsoleKeySettings):
                await ensure_console_key(storage, plugin_settings)
            app.adapters.append(plugin.create(plugin_settings, runtime))
        return app
    except BaseException:
        await http.aclose()
        await storage.close()
        raise


__all__ = ["App", "ConfigError", "build"]
