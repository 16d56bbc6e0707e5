"""Composition root: build(settings) wires storage, services, commands and adapters into an App (app_runtime)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import httpx

from fxbot.adapter_startup import StartPolicy, StartupFailed
from fxbot.alerts.order_store import AlertOrderStore
from fxbot.app_runtime import DEFAULT_DRAIN_S, App
from fxbot.chat.adapter import ChatAdapter
from fxbot.chat.command_records import AuditSink
from fxbot.chat.command_scope import access_writes
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.registry import CommandRegistry
from fxbot.commands.catalog import register_all
from fxbot.config import ConfigError, Settings, validate_adapter_section
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.notify.notifier import Notifier
from fxbot.notify.targets import ChatAdapterTarget, DeliveryTarget
from fxbot.ops.http_metrics import CountingTransport
from fxbot.ops.wiring import app_metrics, count_incidents, ops_server
from fxbot.plugins import AdapterRuntime, PlatformDirectory, load_plugin
from fxbot.scaleout.outbox_post import OutboxPost
from fxbot.scaleout.roles import Role, RolePlan, check_database
from fxbot.scaleout.wiring import ScaleOut, configure_role
from fxbot.scheduling.scheduler import DigestScheduler
from fxbot.services.alert_orders import AlertOrders
from fxbot.services.audit_sink import StorageAuditSink
from fxbot.services.chat_context import StorageChatContextResolver
from fxbot.services.chat_settle import ChatSettler
from fxbot.services.console_key import ConsoleKeySettings, ensure_console_key
from fxbot.services.container import Services, build_services
from fxbot.storage.action_tokens import ActionTokens
from fxbot.storage.store import Storage
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier
from fxbot.stream.pump import StreamPump
from fxbot.webhooks.wiring import build_webhooks

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RefreshingAuditSink:
    """The storage audit sink that also tells the stream pump to re-read bindings after a change."""

    def __init__(self, inner: AuditSink, on_change: Callable[[], None]) -> None:
        self._inner = inner
        self._on_change = on_change

    async def record(self, *, chat_id: str, user_id: str, command: str, ok: bool, result: str,
                     latency_ms: float, order_ref: str | None) -> None:
        try:
            await self._inner.record(chat_id=chat_id, user_id=user_id, command=command, ok=ok, result=result,
                                     latency_ms=latency_ms, order_ref=order_ref)
        finally:
            if ok:
                self._on_change()


def delivery_targets(adapters: Sequence[ChatAdapter], platforms: PlatformDirectory) -> dict[str, DeliveryTarget]:
    """Each adapter's own `delivery_target()` when it has one, else a bridge over its `send` that splits
    messages to the length its plugin declares."""
    targets: dict[str, DeliveryTarget] = {}
    for adapter in adapters:
        make = getattr(adapter, "delivery_target", None)
        target: DeliveryTarget
        if callable(make):
            target = make()
        else:
            target = ChatAdapterTarget(adapter, adapter.name, platforms.facts(adapter.name).message_limit)
        targets[target.platform] = target
    return targets


class AfterCommandChange:
    """A state-changing command succeeded: when this process wrote a binding, key, chat setting, role or chat move
    since the last time (fxbot.chat.command_scope.access_writes), the pump re-reads the bindings (in a front: the
    workers' pumps, told through the change feed); the alert orders re-check their owners (gated the same way).

    A /buy, /alert or /close changes none of them: re-reading every binding after each (and, in a front, telling
    every worker to) only competed with the next command for the database. The pump still re-reads on its timer."""

    def __init__(self, pump: StreamPump | None, services: Services, scaleout: ScaleOut | None) -> None:
        self._pump = pump
        self._services = services
        self._scaleout = scaleout
        self._seen_writes = -1  # access_writes() at the last re-read asked for (-1: none yet)

    def __call__(self) -> None:
        writes = access_writes()
        if writes != self._seen_writes:
            self._seen_writes = writes
            if self._pump is not None:
                self._pump.request_refresh()
            if self._scaleout is not None:
                self._scaleout.bindings_may_have_changed()
        if self._services.alert_orders is not None:
            self._services.alert_orders.schedule_sweep()


async def build(
    settings: Settings,
    *,
    env: Mapping[str, str],
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    clock: Callable[[], datetime] = _utcnow,
    adapter_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    adapter_extras: Mapping[str, Mapping[str, Any]] | None = None,
    pump_config: PumpConfig | None = None,
    stream_connect: Callable[..., Awaitable[Any]] | None = None,
    notify_coalesce_s: float = 1.0,
    drain_s: float = DEFAULT_DRAIN_S,
    start_policy: StartPolicy | None = None,
    role: Role = Role.ALL,
) -> App:
    """Wire the whole bot from settings; adapters are created but not started.

    `adapter_overrides` patches adapter config sections (the CLI enables the console this way);
    `adapter_extras` hands objects to one adapter's runtime (tests inject fake platform transports).
    `pump_config` sets the stream pump's timings and `notify_coalesce_s` the outbox coalescing window
    (tests shorten both); `stream_connect` replaces the streams' WebSocket connect (tests tap it);
    `start_policy` how adapters are started and retried. Alert rules are cold-loaded
    from the database here (role `all`; a worker loads those of its partitions, fxbot.scaleout). `role` picks
    what this process runs (fxbot.scaleout.roles); a role other than `all` refuses SQLite. What is
    platform-specific (message and pacing limits, private vs group from a chat id, whether chat admins are
    reported) comes from each enabled plugin's `PlatformFacts`.
    """
    plan = RolePlan(role)
    if role is Role.DELIVERY:  # adapters only send: the front receives
        extras = {name: dict(values) for name, values in (adapter_extras or {}).items()}
        extras.setdefault("telegram", {}).setdefault("telegram.receive", False)
        extras.setdefault("discord", {}).setdefault("discord.gateway", False)
        adapter_extras = extras
    sections = {name: dict(values) for name, values in settings.adapters.items()}
    for name, values in (adapter_overrides or {}).items():
        sections.setdefault(name, {}).update(values)
    plugins = []
    for name, section in sections.items():
        if not section.get("enabled", True):
            continue
        plugin = load_plugin(name)
        plugins.append((plugin, validate_adapter_section(name, plugin.settings_model, section)))
    platforms = PlatformDirectory.of(plugin for plugin, _ in plugins)
    storage = await Storage.open(settings.database.path, env, url=settings.database.url_text(),
                                 pool_size=settings.database.pool_size)
    metrics = app_metrics(plugin.name for plugin, _ in plugins)
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0), transport=CountingTransport(metrics))
    try:
        services = await build_services(
            storage,
            http=http,
            base_url=settings.fxsocket.base_url,
            stream_url=settings.fxsocket.stream_url,
            management_url=settings.fxsocket.management_url,
            clock=clock,
            chat_kinds=platforms.chat_kinds(),
            stream_connect=stream_connect,
            request_observer=metrics,
            api_budget=settings.scaleout.api_budget_for(role.value) if role is not Role.ALL else None,
        )
        alerts = services.alerts
        alerts.on_fired = metrics.alert_fired
        count_incidents(metrics, services)
        check_database(role, storage.db.dialect)
        # the alert rules load in App.run() once the ops endpoint answers (App.load_alert_rules)
        fills = FillNotifier(storage=storage, outbox=alerts.outbox, preferences=alerts.preferences, clock=clock)
        pump = StreamPump(storage=storage, brokers=services.brokers, alerts=alerts, fills=fills, clock=clock,
                          config=pump_config, observer=metrics)
        alerts.add_change_listener(pump.rules_changed)
        pump.guard = services.guard
        if services.watchdog is not None:
            services.watchdog.settings = settings.watchdog
        scaleout = None
        if plan.shared:
            scaleout = configure_role(
                role, settings.scaleout, db=storage.db, services=services, pump=pump, clock=clock,
                scheduler=lambda: DigestScheduler(digests=services.digests, outbox=alerts.outbox, clock=clock))
        if services.stops is not None and plan.streams:
            log.info("managed stops: %d rules loaded", await services.stops.load())
            pump.manager = services.stops
        registry: CommandRegistry[Services] = CommandRegistry()
        register_all(registry)
        action_tokens = ActionTokens(storage.db, clock, ttl=timedelta(hours=settings.notify.button_ttl_hours))
        dispatcher: Dispatcher[Services] = Dispatcher(
            registry,
            StorageChatContextResolver(storage=storage, platforms_reporting_admins=platforms.reporting_admins()),
            services,
            known_symbols=sorted(INSTRUMENTS),
            confirmations=ConfirmationBook(clock=clock),
            clock=clock,
            audit=RefreshingAuditSink(StorageAuditSink(storage, clock),
                                      AfterCommandChange(pump if plan.streams else None, services, scaleout)),
            observer=metrics,
            action_tokens=action_tokens,
        )
        app = App(settings=settings, storage=storage, http=http, services=services, dispatcher=dispatcher,
                  pump=pump if plan.streams else None, drain_s=drain_s, platforms=platforms,
                  start_policy=start_policy or StartPolicy(),
                  settler=ChatSettler(audit=storage.audit, fills=fills, started_at=fills.started_at),
                  scheduler=DigestScheduler(digests=services.digests, outbox=alerts.outbox, clock=clock)
                  if role is Role.ALL else None,
                  metrics=metrics, role=role, scaleout=scaleout,
                  reply_post=None if plan.commands or plan.delivers else OutboxPost(alerts.outbox, clock))
        for plugin, plugin_settings in plugins:
            runtime = AdapterRuntime(
                handler=dispatcher,
                request_shutdown=app.request_shutdown,
                stdin=stdin,
                stdout=stdout,
                on_chat_migrated=app.move_chat,
                symbols=app.symbols_for_chat,
                settle=app.settle_chat,
                on_chat_reachable=app.chat_reachable,
                extras=dict((adapter_extras or {}).get(plugin.name, {})),
            )
            if isinstance(plugin_settings, ConsoleKeySettings):
                await ensure_console_key(storage, plugin_settings)
            app.adapters.append(plugin.create(plugin_settings, runtime))
        if plan.delivers:
            app.notifier = Notifier(alerts.outbox, delivery_targets(app.adapters, platforms),
                                    clock=time.monotonic, coalesce_s=notify_coalesce_s,
                                    limits=platforms.pacing_limits(), observer=metrics, buttons=action_tokens)
        if settings.ops.enabled:
            app.ops = ops_server(app, settings.ops, clock)
        services.webhooks, app.webhooks = build_webhooks(
            settings.webhooks, db=storage.db, handler=dispatcher,
            resolver=StorageChatContextResolver(storage=storage,
                                                platforms_reporting_admins=platforms.reporting_admins()),
            post=app.post_to_chat, known_symbols=sorted(INSTRUMENTS), clock=clock)
        if not plan.commands:
            app.webhooks = None  # the front receives webhook calls
        services.alert_orders = AlertOrders(
            store=AlertOrderStore(storage.db, clock), alerts=alerts, handler=dispatcher,
            resolver=StorageChatContextResolver(storage=storage,
                                                platforms_reporting_admins=platforms.reporting_admins()),
            post=app.post_to_chat, known_symbols=sorted(INSTRUMENTS), clock=clock)
        alerts.on_rule_fired = services.alert_orders.rule_fired
        return app
    except BaseException:
        await http.aclose()
        await storage.close()
        raise


__all__ = ["App", "ConfigError", "StartPolicy", "StartupFailed", "build"]
