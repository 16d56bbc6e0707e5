"""The running bot: App holds what build() wired and runs it — adapters, background tasks, orderly stop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from fxbot.adapter_startup import AdapterStarter, StartPolicy, StartupFailed
from fxbot.chat.adapter import ChatAdapter
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.types import ChatRef, Reply
from fxbot.config import Settings
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.notify.notifier import Notifier
from fxbot.ops.metrics import Metrics
from fxbot.plugins import PlatformDirectory
from fxbot.scaleout.roles import Role, RolePlan
from fxbot.scaleout.wiring import ScaleOut
from fxbot.scheduling.scheduler import DigestScheduler
from fxbot.services.chat_settle import ChatSettler
from fxbot.services.container import Services
from fxbot.storage.store import Storage
from fxbot.stream.pump import StreamPump
from fxbot.supervision import supervise

if TYPE_CHECKING:  # FastAPI and uvicorn load only when the ops endpoint or the webhook receiver is enabled
    from fxbot.ops.server import OpsServer
    from fxbot.webhooks.server import WebhookServer

log = logging.getLogger("fxbot.app")

DEFAULT_DRAIN_S = 2.0


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
            await self.load_alert_rules()  # /healthz answers meanwhile: the load yields the loop between chunks
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

    async def load_alert_rules(self) -> None:
        """The cold load of the alert rules (role `all`; once), then kept out of the collector's full passes like
        the rest of what start-up made (`fxbot run` froze that before; a pass over them stalls the quote path)."""
        if self.role is not Role.ALL:
            return
        loaded = await self.services.alerts.load()
        log.info("alerts: %d active rules loaded", loaded)
        if loaded:
            gc.freeze()

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


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
