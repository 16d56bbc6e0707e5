"""WatchdogService: checks the pipe every few seconds and tells the bound chats once per incident and recovery.

Watched: each key's stream (down past a threshold, or silent during market hours while quotes are
subscribed), FxSocket REST (failing past a threshold), each bound account's terminal (disconnected from its
broker), each key (refused, or its scope lowered) and the bot itself (restarted: how long it was down and
whether its streams reconnected and reconciled). It also writes the bot's heartbeat (for the restart
notice), pings `heartbeat_url` while healthy and sends the optional Friday reminder before the weekly close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import httpx

from fxbot.config import WatchdogSettings
from fxbot.domain.access import Scope
from fxbot.domain.broker import AccessRefusedError, BrokerError, ScopeRefusedError, SupportsTerminalStatus
from fxbot.domain.market_hours import weekend_close
from fxbot.notify.notification import Notification
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.storage.timestamps import from_db, to_db
from fxbot.watchdog.incidents import IncidentBook, Opened, Recovered, duration_text
from fxbot.watchdog.notices import incident_notice, plain_notice
from fxbot.watchdog.weekend import weekend_reminders

if TYPE_CHECKING:
    from fxbot.services.brokers import BrokerProvider
    from fxbot.storage import Storage
    from fxbot.stream.status import SessionStatus

log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 10.0
RESTART_WAIT_ROUNDS = 4  # rounds the restart notice waits for every stream to reconnect (and reconcile)


class StatusSource(Protocol):
    """The stream pump, as the watchdog reads it."""

    def statuses(self) -> list[SessionStatus]: ...


@dataclass(frozen=True, slots=True)
class Binding:
    chat_id: str
    key_id: int
    account_id: str | None


class WatchdogService:
    """Runs the checks; `check_once()` is one round (tests call it with a fake clock)."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, outbox: Outbox,
                 preferences: NotificationPreferences, clock: Callable[[], datetime],
                 settings: WatchdogSettings | None = None, http: httpx.AsyncClient | None = None) -> None:
        self._storage = storage
        self._brokers = brokers
        self._outbox = outbox
        self._preferences = preferences
        self._clock = clock
        self.settings = settings or WatchdogSettings()
        self._http = http
        self.book = IncidentBook()
        self.on_incident: Callable[[str, str], None] | None = None  # (kind, "opened"/"recovered"): the metrics
        self.pump: StatusSource | None = None
        self.key_filter: Callable[[int], bool] | None = None  # a worker (fxbot.scaleout) watches the keys it holds
        self.quiet_restart_s = 0.0  # no restart notice when the last heartbeat is more recent (another worker's)
        self._scopes: dict[int, Scope] = {}
        self._started_at = clock()
        self._previous_alive: datetime | None = None
        self._restart_rounds: int | None = None  # rounds left before the restart notice goes out anyway
        self.last_ping_at: datetime | None = None
        self.last_ping_error: str | None = None
        self._started = False

    def __repr__(self) -> str:
        return f"WatchdogService(open={sorted(self.book.open)})"

    # -- running -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Read when the previous run was last alive (for the restart notice)."""
        value = await self._storage.db.fetch_value("SELECT alive_at FROM watchdog_heartbeat WHERE id = 1")
        self._previous_alive = None if value is None else from_db(str(value))
        self._restart_rounds = RESTART_WAIT_ROUNDS if self._previous_alive is not None else None
        if self._previous_alive is not None and (self._started_at - self._previous_alive).total_seconds() \
                < self.quiet_restart_s:
            self._restart_rounds = None
        self._started = True

    async def run(self) -> None:
        """Check every `check_interval_s` until cancelled; ping the heartbeat URL on its own schedule."""
        if not self._started:  # a supervised restart of this task is not a restart of the bot
            await self.start()
        pinger = asyncio.create_task(self._ping_loop(), name="watchdog-heartbeat") if self.settings.heartbeat_url \
            else None
        try:
            while True:
                try:
                    await self.check_once()
                except Exception:
                    log.exception("watchdog: a check round failed")
                await asyncio.sleep(self.settings.check_interval_s)
        finally:
            if pinger is not None:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger

    async def check_once(self) -> list[Notification]:
        """One round of every check; the notifications it enqueued."""
        now = self._clock()
        bindings = await self._bindings()
        by_key: dict[int, list[Binding]] = {}
        for binding in bindings:
            by_key.setdefault(binding.key_id, []).append(binding)
        sent: list[Notification] = []
        watched: set[str] = set()
        statuses = self.pump.statuses() if self.pump is not None else []
        for status in statuses:
            chats = [b.chat_id for b in by_key.get(status.key_id, [])]
            sent += await self._stream_checks(status, chats, now, watched)
        for key_id, key_bindings in by_key.items():
            sent += await self._key_checks(key_id, key_bindings, now, watched)
        self.book.forget(watched)
        sent += await self._restart_notice(bindings, statuses, now)
        sent += await weekend_reminders(self._storage, self._brokers, self._outbox, bindings_of(bindings), now)
        await self._storage.db.execute(
            "INSERT INTO watchdog_heartbeat (id, alive_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET"
            " alive_at = excluded.alive_at", (to_db(now),))
        return sent

    # -- the checks ----------------------------------------------------------------------------

    async def _stream_checks(self, status: SessionStatus, chats: list[str], now: datetime,
                             watched: set[str]) -> list[Notification]:
        s = self.settings
        name = status.key_name
        down_ref, silent_ref = f"stream:{status.key_id}", f"silent:{status.key_id}"
        watched.update((down_ref, silent_ref))
        down = not status.connected and not status.refused
        event = self.book.observe(down_ref, "stream", f"the FxSocket stream of key '{name}' is down", bad=down,
                                  at=now, after_s=s.stream_down_after_s, since=status.since if down else None,
                                  detail=status.detail or "")
        sent = await self._tell(event, chats, now)
        last = status.last_event_at or status.since
        market_open = weekend_close(now) is None
        silent = (status.connected and market_open and status.subscriptions > 0 and last is not None
                  and (now - last).total_seconds() > s.stream_silent_after_s)
        event = self.book.observe(silent_ref, "silent", f"the FxSocket stream of key '{name}' is silent",
                                  bad=silent, at=now, since=last if silent else None,
                                  detail="connected, but no event arrived while the market is open")
        return sent + await self._tell(event, chats, now)

    async def _key_checks(self, key_id: int, bindings: list[Binding], now: datetime,
                          watched: set[str]) -> list[Notification]:
        chats = [b.chat_id for b in bindings]
        key = await self._storage.keys.get(key_id)
        if key is None:
            return []
        sent: list[Notification] = []
        previous = self._scopes.get(key_id)
        self._scopes[key_id] = key.scope
        if previous is not None and not key.scope.allows(previous) and key.scope != previous:
            self._count("scope", "opened")
            for chat_id in await self._listening(chats):
                notice = plain_notice(chat_id, f"Watchdog: the scope of key '{key.name}' was lowered",
                                      (f"FxSocket refused a {previous.value} request: fxbot now treats the key as "
                                       f"{key.scope.value} (it was {previous.value}).",),
                                      f"watchdog:scope:{key_id}:{key.scope.value}:{now.timestamp():.0f}:{chat_id}", now)
                if await self._outbox.enqueue(notice):
                    sent.append(notice)
        rest_ref, key_ref = f"rest:{key_id}", f"key:{key_id}"
        watched.update((rest_ref, key_ref))
        broker = await self._brokers.for_key(key_id)
        refused = failing = False
        detail = ""
        accounts = []
        try:
            accounts = await asyncio.wait_for(broker.list_accounts(), PROBE_TIMEOUT_S)
        except AccessRefusedError as exc:
            refused = not isinstance(exc, ScopeRefusedError)
            detail = f"FxSocket refused the key ({exc.code}) — revoked or expired? Link a new one with /link"
        except (BrokerError, TimeoutError) as exc:
            failing = True
            detail = f"FxSocket REST answered {getattr(exc, 'code', None) or type(exc).__name__}"
        sent += await self._tell(self.book.observe(key_ref, "key", f"FxSocket refuses the key '{key.name}'",
                                                   bad=refused, at=now, detail=detail), chats, now)
        sent += await self._tell(self.book.observe(rest_ref, "rest", f"FxSocket REST is failing for key '{key.name}'",
                                                   bad=failing, at=now, after_s=self.settings.rest_failing_after_s,
                                                   detail=detail), chats, now)
        if refused or failing:
            for ref in [r for r in self.book.open if r.startswith(f"terminal:{key_id}:")]:
                watched.add(ref)  # unknown while REST fails: neither recovered nor forgotten
            return sent
        first = accounts[0].id if accounts else None
        for account in accounts:
            account_chats = [b.chat_id for b in bindings if (b.account_id or first) == account.id]
            if not account_chats:
                continue
            ref = f"terminal:{key_id}:{account.id}"
            watched.add(ref)
            bad, why = account.status == "disconnected", account.status_detail or ""
            if not bad and isinstance(broker, SupportsTerminalStatus):
                with contextlib.suppress(BrokerError, TimeoutError):
                    terminal = await asyncio.wait_for(broker.terminal_status(account_id=account.id), PROBE_TIMEOUT_S)
                    bad = not terminal.broker_connected
                    why = why or f"terminal status {terminal.status}"
            login = f" (login {account.login})" if account.login is not None else ""
            event = self.book.observe(ref, "terminal",
                                      f"account {account.id}{login} is disconnected from its broker",
                                      bad=bad, at=now, detail=why)
            sent += await self._tell(event, account_chats, now)
        return sent

    async def _restart_notice(self, bindings: Sequence[Binding], statuses: list[SessionStatus],
                              now: datetime) -> list[Notification]:
        if self._restart_rounds is None or self._previous_alive is None:
            return []
        reconnected = bool(statuses) and all(s.connected for s in statuses)
        self._restart_rounds -= 1
        if not reconnected and self._restart_rounds > 0 and self.pump is not None:
            return []
        self._restart_rounds = None
        self._count("restart", "opened")
        down = self._started_at - self._previous_alive
        if reconnected:
            state = (f"{len(statuses)} stream(s) reconnected and reconciled over REST (fills, closed trades and "
                     "alerts of the outage)")
        elif statuses:
            state = "some streams have not reconnected yet, so the outage is not reconciled yet: /status"
        else:
            state = "no stream to reconcile"
        sent = []
        for chat_id in await self._listening(sorted({b.chat_id for b in bindings})):
            notice = plain_notice(chat_id, "Watchdog: the bot restarted",
                                  (f"it was down for about {duration_text(down)} (last alive "
                                   f"{self._previous_alive:%Y-%m-%d %H:%M} UTC)", state),
                                  f"watchdog:restart:{self._started_at.timestamp():.0f}:{chat_id}", now)
            if await self._outbox.enqueue(notice):
                sent.append(notice)
        return sent

    # -- helpers -------------------------------------------------------------------------------

    async def _tell(self, event: Opened | Recovered | None, chats: Sequence[str], now: datetime) -> list[Notification]:
        if event is None:
            return []
        self._count(event.incident.kind, "opened" if isinstance(event, Opened) else "recovered")
        sent = []
        for chat_id in await self._listening(chats):
            timezone = (await self._storage.settings.get(chat_id)).timezone or "UTC"
            notice = incident_notice(chat_id, event, timezone, now)
            if await self._outbox.enqueue(notice):
                sent.append(notice)
        return sent

    def _count(self, kind: str, outcome: str) -> None:
        if self.on_incident is not None:
            self.on_incident(kind, outcome)

    async def _listening(self, chats: Sequence[str]) -> list[str]:
        return [c for c in chats if await self._preferences.mode(c, "watchdog") != "off"]

    async def _bindings(self) -> list[Binding]:
        rows = await self._storage.db.fetch_all("SELECT chat_id, key_id, account_id FROM chat_bindings")
        held = self.key_filter
        return [Binding(str(r["chat_id"]), int(r["key_id"]), None if r["account_id"] is None else str(r["account_id"]))
                for r in rows if held is None or held(int(r["key_id"]))]

    async def _ping_loop(self) -> None:
        url = self.settings.heartbeat_url
        assert url is not None
        while True:
            if self.book.healthy:
                await self.ping(url)
            await asyncio.sleep(self.settings.heartbeat_interval_s)

    async def ping(self, url: str) -> bool:
        """One dead-man ping; a failure is logged and remembered, never raised."""
        client = self._http or httpx.AsyncClient()
        try:
            answer = await client.get(url, timeout=httpx.Timeout(10.0))
            answer.raise_for_status()
        except Exception as exc:
            self.last_ping_error = type(exc).__name__
            log.info("watchdog: the heartbeat ping failed (%s)", type(exc).__name__)
            return False
        finally:
            if self._http is None:
                await client.aclose()
        self.last_ping_at, self.last_ping_error = self._clock(), None
        return True

    def since_start(self) -> timedelta:
        return self._clock() - self._started_at


def bindings_of(bindings: Sequence[Binding]) -> dict[str, tuple[int, str | None]]:
    """chat -> (key, account) for the weekend reminder."""
    return {b.chat_id: (b.key_id, b.account_id) for b in bindings}
