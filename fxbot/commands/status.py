"""The /status command: bot uptime, FxSocket reachability and latency, database and stream health, and each
account terminal's broker connection and EA heartbeat where the key's API reports them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from fxbot.chat.argument_types import BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.access import Role
from fxbot.domain.formatting import format_duration, format_time
from fxbot.services.health import HealthReport, StreamHealth, TerminalHealth

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


def _age(seconds: float) -> str:
    """"0.4 s", "12 s", "3m 5s": how long ago the EA last made progress."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return format_duration(timedelta(seconds=seconds))


def terminal_line(terminal: TerminalHealth) -> str:
    """"terminal acc_1 (login 5001): ready — broker connected (Demo-Server, ping 42 ms), EA heartbeat 0.4 s ago,
    trading allowed"."""
    login = f" (login {terminal.login})" if terminal.login is not None else ""
    head = f"terminal {terminal.account_id}{login}"
    status = terminal.status
    if status is None:
        return f"{head}: {terminal.error or 'not reported'}"
    parts: list[str] = []
    if not status.terminal_alive:
        parts.append("the MetaTrader terminal is NOT running")
    details = [d for d in (status.broker_server, f"ping {status.ping_ms} ms" if status.ping_ms else None) if d]
    extra = f" ({', '.join(details)})" if details else ""
    parts.append(f"broker connected{extra}" if status.broker_connected else f"broker NOT connected{extra}")
    if not status.logged_in:
        parts.append("account NOT logged in")
    if not status.trade_ea_ready:
        parts.append("trading EA not ready" if status.ea_heartbeat_age_s is not None else "trading EA not registered")
    if status.ea_heartbeat_age_s is not None:
        parts.append(f"EA heartbeat {_age(status.ea_heartbeat_age_s)} ago")
    parts.append("trading allowed" if status.trade_allowed else "trading NOT allowed")
    return f"{head}: {status.status} — {', '.join(parts)}"


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
        *(terminal_line(t) for t in report.terminals),
    )
    healthy = (fx.reachable and report.database_ok and (report.stream is None or report.stream.connected)
               and all(t.ready for t in report.terminals))
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
            summary="Bot uptime, FxSocket reachability and latency, stream health, account terminals",
            usage="/status",
            examples=("/status",),
            arguments=(),
            permission=ANYONE,
            handler=status_command,
            category="general",
            details="With a terminal-API key (fxs_live_…, fxs_ro_…) it also shows each account terminal: its "
                    "broker connection, whether the account is logged in and may trade, and when the trading EA "
                    "last made progress (its heartbeat).",
        )
    )
