"""The service container handlers receive (Services), and build_services wiring it from storage, HTTP and the
broker backends (registered here, per kind of key)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from fxbot.backends.sdk import SdkBackend
from fxbot.backends.v1 import V1Backend
from fxbot.config import DEFAULT_MANAGEMENT_URL
from fxbot.domain.broker import BrokerBackends
from fxbot.guard.service import GuardService
from fxbot.management.service import ManagementService
from fxbot.notify.outbox import ChatKindRules, Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.ops.http_metrics import RequestObserver
from fxbot.services.accounts import AccountService
from fxbot.services.alert_orders import AlertOrders
from fxbot.services.alert_snoozes import AlertSnoozes
from fxbot.services.alerts import AlertService
from fxbot.services.brokers import BrokerProvider
from fxbot.services.charts import ChartService
from fxbot.services.chat_settings import SettingsService
from fxbot.services.digests import DigestService
from fxbot.services.health import HealthService
from fxbot.services.keys import KeyService
from fxbot.services.market import MarketService
from fxbot.services.reports import ReportService
from fxbot.services.team import TeamService
from fxbot.services.trading import TradingService
from fxbot.storage import Storage
from fxbot.watchdog.service import WatchdogService
from fxbot.webhooks.service import WebhookService


@dataclass
class Services:
    """Every use-case service, sharing one Storage, one BrokerProvider (the broker backends) and one clock."""

    storage: Storage
    brokers: BrokerProvider
    trading: TradingService
    market: MarketService
    accounts: AccountService
    keys: KeyService
    team: TeamService
    chat_settings: SettingsService
    health: HealthService
    alerts: AlertService
    reports: ReportService
    charts: ChartService
    digests: DigestService
    clock: Callable[[], datetime]
    management_url: str = DEFAULT_MANAGEMENT_URL  # the terminal API's management base (fxs_live_/fxs_ro_ keys)
    guard: GuardService | None = None  # the account guard (/guard): daily limits that act, exposure limits
    watchdog: WatchdogService | None = None  # stream/REST/terminal/key/restart incidents (/watchdog)
    stops: ManagementService | None = None  # bot-managed breakeven and trailing stops (/be, /trail)
    webhooks: WebhookService | None = None  # /webhook endpoints (set by the app; None: not wired)
    alert_orders: AlertOrders | None = None  # alerts that place an order when they fire (set by the app)
    snoozes: AlertSnoozes | None = None  # /alert snooze ID 1h: paused until a time, then resumed

    def __repr__(self) -> str:
        return f"Services(brokers={self.brokers!r})"

    async def close(self) -> None:
        """Close the broker clients and backends (the shared HTTP client); the storage belongs to whoever opened it."""
        if self.stops is not None:
            await self.stops.executor.aclose()
        await self.brokers.aclose()


async def build_services(storage: Storage, *, http: httpx.AsyncClient, base_url: str, stream_url: str,
                         clock: Callable[[], datetime], chat_kinds: ChatKindRules | None = None,
                         stream_connect: Callable[..., Awaitable[Any]] | None = None,
                         management_url: str = DEFAULT_MANAGEMENT_URL,
                         request_observer: RequestObserver | None = None,
                         api_budget: int | None = None) -> Services:
    """Wire every service; `http` becomes owned by the result (closed by `Services.close()`).

    The broker backends are registered here, one per kind of key (`sk_` → the `/v1` backend over
    `base_url`/`stream_url`; `fxs_live_`/`fxs_ro_` keys speak the terminal API whose management base is
    `management_url`, kept on the result as `Services.management_url`). `chat_kinds`: each enabled
    platform's declared private-vs-group rule (fxbot.plugins.PlatformFacts). `stream_connect` replaces the
    WebSocket connect of both backends' streams (tests). `api_budget`: FxSocket requests per second and
    account this process may make (default 60, the API's limit; a process of a scaled-out bot gets its share).
    """
    v1 = V1Backend(http=http, base_url=base_url, stream_url=stream_url, connect=stream_connect)
    if api_budget is not None:
        v1.pacer.max_requests = api_budget  # one pacer for both backends
    sdk = SdkBackend(management_url=management_url, pacer=v1.pacer, connect=stream_connect,
                     observer=request_observer)  # `http` counts the /v1 requests; the SDK makes its own clients
    brokers = BrokerProvider(storage, BrokerBackends([v1, sdk]))
    settings = SettingsService(storage=storage)
    reports = ReportService(storage=storage, brokers=brokers, clock=clock)
    outbox = Outbox(storage.db, clock, chat_kinds=chat_kinds)
    preferences = NotificationPreferences(storage.db)
    services = Services(
        storage=storage,
        brokers=brokers,
        trading=TradingService(storage=storage, brokers=brokers, clock=clock),
        market=MarketService(storage=storage, brokers=brokers),
        accounts=AccountService(storage=storage, brokers=brokers),
        keys=KeyService(storage=storage, brokers=brokers),
        team=TeamService(storage=storage),
        chat_settings=settings,
        health=HealthService(storage=storage, brokers=brokers, clock=clock, probe=v1.probe),
        alerts=AlertService(storage=storage, brokers=brokers, outbox=outbox, preferences=preferences, clock=clock),
        reports=reports,
        charts=ChartService(storage=storage, brokers=brokers),
        digests=DigestService(storage=storage, reports=reports, settings=settings, clock=clock),
        clock=clock,
        management_url=management_url,
        stops=ManagementService(storage=storage, brokers=brokers, outbox=outbox, preferences=preferences, clock=clock),
    )
    services.guard = GuardService(storage=storage, brokers=brokers, outbox=services.alerts.outbox, clock=clock)
    services.trading.order_guard = services.guard
    services.watchdog = WatchdogService(storage=storage, brokers=brokers, outbox=services.alerts.outbox,
                                        preferences=services.alerts.preferences, clock=clock)
    services.snoozes = AlertSnoozes(storage.db, services.alerts, clock)
    return services
