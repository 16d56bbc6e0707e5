"""The watchdog's notifications: one when an incident opens, one when it recovers (with its duration)."""

from __future__ import annotations

from datetime import datetime

from fxbot.domain.formatting import format_time
from fxbot.notify.notification import Notification, Severity
from fxbot.watchdog.incidents import Incident, Opened, Recovered, duration_text

KIND = "watchdog"


def _key(incident: Incident, chat_id: str, suffix: str) -> str:
    return f"watchdog:{incident.ref}:{incident.first_seen.timestamp():.0f}:{suffix}:{chat_id}"[:200]


def incident_notice(chat_id: str, event: Opened | Recovered, timezone: str, at: datetime) -> Notification:
    incident = event.incident
    if isinstance(event, Opened):
        lines = [f"since {format_time(incident.first_seen, timezone)}"]
        if incident.detail:
            lines.append(incident.detail)
        lines.append("You will be told once when it recovers. Silence these: /notify watchdog off")
        return Notification(chat_id=chat_id, severity=Severity.WARNING, title=f"Watchdog: {incident.what}",
                            lines=tuple(lines), dedupe_key=_key(incident, chat_id, "open"), kind=KIND, created_at=at)
    return Notification(
        chat_id=chat_id, severity=Severity.INFO, title=f"Watchdog: recovered — {incident.what}",
        lines=(f"it lasted {duration_text(event.duration)} (from {format_time(incident.first_seen, timezone)} "
               f"to {format_time(event.at, timezone)})",),
        dedupe_key=_key(incident, chat_id, "recovered"), kind=KIND, created_at=at)


def plain_notice(chat_id: str, title: str, lines: tuple[str, ...], dedupe_key: str, at: datetime,
                 severity: Severity = Severity.WARNING) -> Notification:
    return Notification(chat_id=chat_id, severity=severity, title=title, lines=lines, dedupe_key=dedupe_key[:200],
                        kind=KIND, created_at=at)
