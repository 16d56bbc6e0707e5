"""Composition root: build(settings) wires storage, services, commands and adapters; run() owns the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

import httpx

from fxbot.adapter_startup import AdapterStarter, StartPolicy, StartupFailed
from fxbot.alerts.order_store import AlertOrderStore
from fxbot.chat.adapter import ChatAdapter
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import AuditSink, Dispatcher
from fxbot.chat.registry import CommandRegistry
from fxbot.chat.types import ChatRef, Reply
from fxbot.commands.catalog import register_all
from fxbot.config import ConfigError, Settings, validate_adapter_section
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.notify.notifier import Notifier
from fxbot.notify.targets import ChatAdapterTarget, DeliveryTarget
from fxbot.ops.http_metrics import CountingTransport
from fxbot.ops.metrics import Metrics
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
from fxbot.supervision import supervise
from fxbot.webhooks.wiring import build_webhooks

if TYPE_CHECKING:  # FastAPI and uvicorn load only when the ops endpoint or the webhook receiver is enabled
    from fxbot.ops.server import OpsServer
    from fxbot.webhooks.server import WebhookServer

log = logging.getLogger(__name__)


DEFAULT_DRAIN_S = 2.0


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
    pump: StreamPump | None = None
    notifier: Notifier | None = None
    scheduler: DigestScheduler | None = None
    drain_s: float = DEFAULT_DRAIN_S
    settler: ChatSettler | None = None
    background: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    platforms: PlatformDirectory = field(default_factory=PlatformDirectory)
    start_policy: StartPolicy = field(default_factory=StartPolicy)
    start_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # the retry backoff's wait (tests: a fake)
    metrics: Metrics | None = None
    ops: OpsServer | None = None  # the operator endpoint (health, readiness, metrics) when `ops.enabled`
    starter: AdapterStarter | None = None  # set by run(): which adapters run, are retried or failed
    webhooks: WebhookServer | None = None  # the webhook receiver when `webhooks.enabled`
    role: Role = Role.ALL  # which part of the bot this process runs (fxbot.scaleout.roles)
    scaleout: ScaleOut | None = None  # leases and change notifications, for a role other than `all`
    reply_post: Callable[[ChatRef, Reply], Awaitable[None]] | None = None  # a worker: replies go by the outbox

    async def post_to_chat(self, chat: ChatRef, reply: Reply) -> None:
        """Send a reply (buttons included) to a chat through its platform's adapter (webhook results); in a
        process that does not send (a worker's alert orders) through the outbox instead."""
        if self.reply_post is not None:
            await self.reply_post(chat, reply)
            return
        for adapter in self.adapters:
            if adapter.name == chat.platform:
                await adapter.send(chat, reply)
                return
        log.warning("no running %s adapter to post to chat %s", chat.platform, chat.id)

    async def settle_chat(self, chat_id: str) -> None:
        """Let the chat's in-flight fills reach it before an orderly stop (the console at end of input)."""
        if self.settler is not None:
            await self.settler.settle(chat_id, self.notifier)

    def request_shutdown(self) -> None:
        """Ask run() to stop (signal handlers and the console's end of input call this)."""
        self.shutdown.set()

    async def run(self, *, install_signal_handlers: bool = True) -> None:
        """Start the adapters, then the notifier and the stream pump; on shutdown stop them in reverse order.

        An adapter that fails to start for a transient reason (network, time-out) is retried in the background
        with backoff (`start_policy`, waits through `start_sleep`); one refused for good (a wrong token) is
        reported in one line. When no adapter runs and none is being retried — at start-up, or later when the
        last retry fails for good — everything is stopped and StartupFailed is raised (`fxbot run` exits 1).

        An orderly shutdown (request_shutdown, a signal, the console's end of input) stops the pump,
        lets the notifier drain for `drain_s`, stops the adapters and closes storage last. If the
        task running this is cancelled instead (a crash), the same happens without the drain.
        """
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if install_signal_handlers:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, self.request_shutdown)
                    installed.append(sig)
        starter = AdapterStarter(self.adapters_to_start(), policy=self.start_policy, sleep=self.start_sleep,
                                 on_all_failed=self.request_shutdown)
        self.starter = starter
        orderly = False
        try:
            if self.ops is not None:
                await self.ops.start()  # first: liveness answers while adapters start; OpsServerError if it cannot
            if self.webhooks is not None:
                await self.webhooks.start()  # WebhookServerError (one line) if it cannot listen
                if self.services.webhooks is not None:
                    await self.services.webhooks.store.purge_seen()  # body fingerprints older than a week
            await starter.start()  # one adapter failing never takes the others down
            self.start_background()
            if self.scaleout is not None:
                await self.scaleout.start()
            await self._start_scheduler()
            await self._recover_alert_orders()
            await self.shutdown.wait()
            if starter.gave_up():
                raise StartupFailed(starter.failures)
            orderly = True
        finally:
            await starter.cancel_retries()
            if self.scaleout is not None:
                await self.scaleout.stop()  # leases released first: other processes take over at once
            await self.stop_background(drain=orderly)
            for adapter in reversed(starter.started):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("adapter %s failed to stop cleanly", adapter.name)
            if self.webhooks is not None:
                await self.webhooks.stop()
            if self.ops is not None:
                await self.ops.stop()
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.close()

    def adapters_to_start(self) -> list[ChatAdapter]:
        """The adapters this role starts: all of them for commands; for delivery those that need a start to send
        (started send-only; the console writes without one); none for a worker or the scheduler."""
        plan = RolePlan(self.role)
        if plan.commands:
            return list(self.adapters)
        if plan.delivers:
            return [adapter for adapter in self.adapters if adapter.name != "console"]
        return []

    def start_background(self) -> None:
        """Start the notifier and the stream pump as supervised tasks (a crash restarts them with backoff)."""
        restarted = self.metrics.task_restarted if self.metrics is not None else None
        if self.notifier is not None and "notifier" not in self.background:
            self.background["notifier"] = asyncio.create_task(
                supervise("notifier", self.notifier.run, on_restart=restarted), name="fxbot-notifier")
        if self.pump is not None and "pump" not in self.background:
            pump = self.pump
            self.services.health.set_stream_status_provider(pump)
            self.background["pump"] = asyncio.create_task(supervise("stream pump", pump.run, on_restart=restarted),
                                                          name="fxbot-pump")
        snoozes = self.services.snoozes
        if snoozes is not None and self.role is Role.ALL and "snoozes" not in self.background:
            self.background["snoozes"] = asyncio.create_task(
                supervise("alert snoozes", snoozes.run, on_restart=restarted), name="fxbot-snoozes")
        watchdog = self.services.watchdog
        if (watchdog is not None and watchdog.settings.enabled and RolePlan(self.role).streams
                and "watchdog" not in self.background):
            watchdog.pump = self.pump
            self.background["watchdog"] = asyncio.create_task(
                supervise("watchdog", watchdog.run, on_restart=restarted), name="fxbot-watchdog")

    async def _recover_alert_orders(self) -> None:
        """Run the orders of alerts that fired while the bot was down (never twice); a failure never stops it."""
        if self.services.alert_orders is None or not RolePlan(self.role).streams:
            return
        try:
            ran = await self.services.alert_orders.recover()
        except Exception:
            log.exception("alert orders: the start-up recovery failed")
            return
        if ran:
            log.info("alert orders: %d order(s) of alerts fired while down were run", ran)

    async def _start_scheduler(self) -> None:
        """Restore digest schedules and catch up on missed ones; a failure here never stops the bot."""
        if self.scheduler is None:
            return
        try:
            caught_up = await self.scheduler.start()
        except Exception:
            log.exception("the digest scheduler failed to start; scheduled digests are off until restart")
            return
        if caught_up:
            log.info("digests: %d missed schedule(s) handled at start-up", len(caught_up))

    async def stop_background(self, *, drain: bool) -> None:
        """Stop the digest scheduler and the pump, then (after a brief drain when `drain`) the notifier."""
        if self.scheduler is not None:
            try:
                await self.scheduler.stop()
            except Exception:
                log.exception("the digest scheduler failed to stop cleanly")
        watchdog_task = self.background.pop("watchdog", None)
        if watchdog_task is not None:
            await _cancel(watchdog_task)
        snooze_task = self.background.pop("snoozes", None)
        if snooze_task is not None:
            await _cancel(snooze_task)
        pump_task = self.background.pop("pump", None)
        if pump_task is not None:
            await _cancel(pump_task)
            self.services.health.set_stream_status_provider(None)
        notifier_task = self.background.pop("notifier", None)
        if notifier_task is not None:
            if drain and self.notifier is not None and not notifier_task.done():
                try:
                    if not await self.notifier.drain(self.drain_s):
                        log.warning("notifications still pending after %.1f s; they are sent at the next start",
                                    self.drain_s)
                except Exception:
                    log.exception("draining the notifier failed")
            await _cancel(notifier_task)

    async def move_chat(self, old_chat_id: str, new_chat_id: str) -> None:
        """A chat changed id on its platform: move everything it owns to the new id."""
        moved = await self.storage.move_chat(old_chat_id, new_chat_id)
        rules = self.services.alerts.engine.move_chat(old_chat_id, new_chat_id)  # and what lives in memory
        if self.pump is not None:
            await self.pump.move_chat(old_chat_id, new_chat_id)
        if self.notifier is not None:
            await self.notifier.move_chat(old_chat_id, new_chat_id)
        if self.scaleout is not None:  # the worker serving the chat re-reads its binding and rules
            self.scaleout.bindings_may_have_changed()
        log.info("chat %s migrated to %s (%d rows, %d alert rules moved)", old_chat_id, new_chat_id, moved, rules)

    async def chat_reachable(self, chat_id: str) -> None:
        """A chat that had refused the bot's messages can be posted to again: notify there again."""
        if self.notifier is not None:
            await self.notifier.unblock(chat_id)

    async def symbols_for_chat(self, chat_id: str) -> Sequence[str]:
        """Symbols offered for autocomplete (FxSocket has no symbol list, so the known instruments)."""
        return sorted(INSTRUMENTS)

    async def close(self) -> None:
        """Release the HTTP client and the database (idempotent)."""
        if self.services.alert_orders is not None:
            await self.services.alert_orders.aclose()
        await self.services.close()
        await self.http.aclose()
        await self.storage.close()


def _after_change(pump: StreamPump | None, services: Services, scaleout: ScaleOut | None) -> None:
    """A state-changing command succeeded: the pump re-reads bindings (in a front: the workers' pumps, told
    through the change feed), alert orders re-check their owners."""
    if pump is not None:
        pump.request_refresh()
    if scaleout is not None:
        scaleout.bindings_may_have_changed()
    if services.alert_orders is not None:
        services.alert_orders.schedule_sweep()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


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
        if role is Role.ALL:
            loaded = await alerts.load()
            log.info("alerts: %d active rules loaded", loaded)
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
                                      lambda: _after_change(pump if plan.streams else None, services, scaleout)),
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
