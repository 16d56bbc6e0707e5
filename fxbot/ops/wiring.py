"""Wires the ops parts into an assembled app: the metrics every seam reports to, and the optional endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.chat.registry import CommandRegistry
from fxbot.commands.catalog import register_all
from fxbot.config import OpsSettings
from fxbot.ops.metrics import Metrics
from fxbot.ops.readiness import Readiness
from fxbot.services.container import Services
from fxbot.version import fxbot_version

if TYPE_CHECKING:
    from fxbot.app import App
    from fxbot.ops.server import OpsServer


def command_names() -> list[str]:
    """Every command's registry name: the only values the `command` label takes (besides "other")."""
    registry: CommandRegistry[Services] = CommandRegistry()
    register_all(registry)
    return [spec.name for spec in registry.all()]


def app_metrics(platforms: Iterable[str]) -> Metrics:
    """A fresh set of metrics on its own registry (several apps in one process never share one)."""
    return Metrics(commands=command_names(), platforms=platforms, version=fxbot_version())


def count_incidents(metrics: Metrics, services: Services) -> None:
    """The guard's and the watchdog's incidents move the metrics (each service reports through a plain hook)."""
    if services.guard is not None:
        services.guard.on_incident = metrics.guard_incident
    if services.watchdog is not None:
        services.watchdog.on_incident = metrics.watchdog_incident


def ops_server(app: App, settings: OpsSettings, clock: Callable[[], datetime]) -> OpsServer:
    """The endpoint over the app's parts; it reads the adapter starter once run() has made it."""
    from fxbot.ops.server import OpsServer, create_ops_app  # FastAPI and uvicorn: only when enabled

    assert app.metrics is not None
    readiness = Readiness(db=app.storage.db, adapters=app.adapters_to_start(),  # those of this process's role
                          starter=lambda: app.starter, streams=app.pump,
                          clock=clock, stream_budget_s=settings.stream_budget_s)
    return OpsServer(create_ops_app(app.metrics, readiness, app.storage.db), host=settings.host, port=settings.port)
