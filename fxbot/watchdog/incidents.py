"""The watchdog's incident book: a condition that lasts past its threshold opens an incident (notified once),
and its end closes it (notified once, with its duration). Pure: the caller supplies the time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class Incident:
    """One ongoing condition: `ref` identifies it ("stream:3", "terminal:acc-1"), `first_seen` when it began."""

    ref: str
    kind: str
    what: str
    first_seen: datetime
    detail: str = ""
    notified: bool = False


@dataclass(frozen=True, slots=True)
class Opened:
    incident: Incident


@dataclass(frozen=True, slots=True)
class Recovered:
    incident: Incident
    at: datetime

    @property
    def duration(self) -> timedelta:
        return self.at - self.incident.first_seen


@dataclass(slots=True)
class IncidentBook:
    """Every condition seen bad, notified or not yet."""

    open: dict[str, Incident] = field(default_factory=dict)

    def observe(self, ref: str, kind: str, what: str, *, bad: bool, at: datetime, after_s: float = 0.0,
                since: datetime | None = None, detail: str = "") -> Opened | Recovered | None:
        """Record one reading of a condition; the transition to notify, if any."""
        incident = self.open.get(ref)
        if bad:
            if incident is None:
                incident = Incident(ref, kind, what, min(since, at) if since is not None else at, detail)
                self.open[ref] = incident
            elif detail:
                incident.detail = detail
            if not incident.notified and (at - incident.first_seen).total_seconds() >= after_s:
                incident.notified = True
                return Opened(incident)
            return None
        if incident is None:
            return None
        del self.open[ref]
        return Recovered(incident, at) if incident.notified else None

    def forget(self, keep: set[str]) -> None:
        """Drop conditions no longer watched (a key unbound) without notifying."""
        for ref in [r for r in self.open if r not in keep]:
            del self.open[ref]

    @property
    def healthy(self) -> bool:
        """No notified incident is open (the dead-man ping goes out only then)."""
        return not any(i.notified for i in self.open.values())


def duration_text(delta: timedelta) -> str:
    """"45 s", "3 min", "2 h 05 min", "1 d 3 h"."""
    seconds = int(max(delta.total_seconds(), 0))
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
