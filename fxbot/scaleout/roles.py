"""Role: which part of the bot one fxbot process runs (`fxbot run --role`), and what each role runs.

- all (default): everything in one process, as always; SQLite or PostgreSQL.
- front: the chat adapters (receiving) and the dispatcher, and the webhook receiver: commands. It holds no
  alert rules and runs no stream: alert, binding and managed-stop changes are written to the database and
  notified to the workers. One front per bot token (Telegram: one webhook receiver; Discord: one gateway).
- delivery: the notifier only, the one process that sends notifications (adapters started send-only).
- worker: the stream pump, the alert engine, bot-managed stops, the account guard, alert orders and the
  watchdog, for the keys of the partitions it holds (fxbot.scaleout.partitions); several may run.
- scheduler: the digest scheduler and snooze ends, run by the one process holding the `scheduler` lease.
Roles other than `all` need a database every process shares: PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fxbot.config import ConfigError


class Role(StrEnum):
    ALL = "all"
    FRONT = "front"
    DELIVERY = "delivery"
    WORKER = "worker"
    SCHEDULER = "scheduler"


ROLE_HELP = {
    Role.ALL: "everything in one process (default)",
    Role.FRONT: "chat adapters and commands",
    Role.DELIVERY: "the notifier, the only sender",
    Role.WORKER: "streams, alerts, managed stops and the guard of the keys it holds (leased partitions)",
    Role.SCHEDULER: "scheduled digests and snooze ends, by one leader",
}

SQLITE_REFUSED = ("fxbot run --role {role}: several processes need a database they all share — set database.url "
                  "to a PostgreSQL URL (postgresql://…); several processes on one SQLite file are not supported "
                  "(use --role all, the default)")


@dataclass(frozen=True, slots=True)
class RolePlan:
    """What a process of one role runs."""

    role: Role

    @property
    def shared(self) -> bool:
        """Part of several processes: leases and the change feed run."""
        return self.role is not Role.ALL

    @property
    def commands(self) -> bool:
        """Receives chat messages (adapters, dispatcher) and webhook calls."""
        return self.role in (Role.ALL, Role.FRONT)

    @property
    def delivers(self) -> bool:
        """Runs the notifier."""
        return self.role in (Role.ALL, Role.DELIVERY)

    @property
    def streams(self) -> bool:
        """Runs the stream pump, the alert engine, managed stops, alert orders and the watchdog."""
        return self.role in (Role.ALL, Role.WORKER)

    @property
    def schedules(self) -> bool:
        """Runs the digest scheduler and the snooze ends (in a scheduler process: while it leads)."""
        return self.role in (Role.ALL, Role.SCHEDULER)


def check_database(role: Role, dialect: str) -> None:
    """Refuse a role other than `all` on SQLite (ConfigError with one clear line): its notifications stay inside
    one process, so a front's changes would never reach a worker (the tests of the roles run on PostgreSQL)."""
    if role is not Role.ALL and dialect == "sqlite":
        raise ConfigError([SQLITE_REFUSED.format(role=role.value)])
