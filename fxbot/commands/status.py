"""The /status command: bot uptime, FxSocket reachability and latency, database and stream health."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.access import Role
from fxbot.domain.formatting import format_duration, format_time
from fxbot.services.health import HealthReport, StreamHealth

if TYPE_CHECKING:
    from fxbot.services.container import Services

ANYONE = Permission(scope=None, role=Role.VIEWER, needs_binding=False)


def stream_line(stream: StreamHealth | None, timezone: str) -> str:
    if stream is None:
        return "stream: not running"
    state = "connected" if stream.connected else "disconnected"
    parts = [f"stream: {state}"]
    if stream.since is not None:
        parts.append(f"since {format_time(stream.since, timezone)}")
    if stream.last_event_at is not None:
        parts.append(f"last event {format_time(stream.last_event_at, timezone)}")
    if stream.reconnects:
        parts.append(f"{stream.reconnects} reconnects")
    if stream.subscriptions:
        parts.append(f"{stream.subscriptions} subscriptions")
    if stream.failures:
        parts.append(f"restarted {_times(stream.failures)} after a failure")
    if stream.malformed_frames:
        parts.append(f"{stream.malformed_frames} unreadable order/account messages (reconciled over REST)")
    if stream.dropped_events:
        parts.append(f"{stream.dropped_events} order events dropped under load (reconciled over REST)")
    if stream.detail:
        parts.append(stream.detail)
    return ", ".join(parts)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def status_reply(report: HealthReport, timezone: str) -> Reply:
    fx = report.fxsocket
    latency = f" in {fx.latency_ms:.0f} ms" if fx.latency_ms is not None else ""
    lines = (
        f"up {format_duration(report.uptime)} (since {format_time(report.started_at, timezone)})",
        f"FxSocket: {fx.detail}{latency}",
        "database: ok" if report.database_ok else "database: NOT answering",
        stream_line(report.stream, timezone),
    )
    healthy = fx.reachable and report.database_ok and (report.stream is None or report.stream.connected)
    return Reply(title="Status", text=lines, kind=ReplyKind.INFO if healthy else ReplyKind.WARNING)


async def status_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    report = await cmd.services.health.report(cmd.chat.id)
    return status_reply(report, await cmd.services.chat_settings.timezone(cmd.chat.id))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /status."""
    registry.register(
        CommandSpec(
            name="status",
            aliases=(),
            summary="Bot uptime, FxSocket reachability and latency, stream health",
            usage="/status",
            examples=("/status",),
            arguments=(),
            permission=ANYONE,
            handler=status_command,
            category="general",
        )
    )
