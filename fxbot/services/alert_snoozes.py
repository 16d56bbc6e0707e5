"""Snoozed alerts: paused until a time kept in SQLite, then resumed (restart-safe; a press again extends it)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from fxbot.alerts.rules import Rule
from fxbot.errors import UserError
from fxbot.services.alerts import AlertService
from fxbot.storage.database import Database
from fxbot.storage.timestamps import from_db, to_db

log = logging.getLogger(__name__)

MAX_SNOOZE = timedelta(days=7)
IDLE_CHECK_S = 300.0  # with nothing snoozed, look again this often (a new snooze wakes the loop at once)


class AlertSnoozes:
    """`snooze` pauses an alert (unless it is already snoozed: then only its end moves) and records when it
    ends; `run` resumes each alert when its time comes, and at start-up resumes those whose time passed."""

    def __init__(self, db: Database, alerts: AlertService, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._alerts = alerts
        self._clock = clock
        self._changed = asyncio.Event()
        self.on_snoozed: Callable[[], Awaitable[None]] | None = None  # told after a snooze is stored (other processes)

    async def snooze(self, chat_id: str, rule_id: int, span: timedelta) -> tuple[Rule, datetime]:
        """Pause the chat's alert `rule_id` for `span`; the rule and when it resumes. A second snooze of a snoozed
        alert only moves its end (pressing Snooze twice is harmless); an alert paused by hand is refused."""
        until = self._clock() + span
        snoozed = await self._db.fetch_value("SELECT 1 FROM alert_snoozes WHERE rule_id = ? AND chat_id = ?",
                                             (rule_id, chat_id))
        if snoozed is None:
            try:
                rule = await self._alerts.pause(chat_id, rule_id)
            except UserError as error:
                if "already paused" in str(error):
                    raise UserError(f"alert #{rule_id} is paused — /alert resume {rule_id} resumes it") from None
                raise
        else:
            found = [view.rule for view in await self._alerts.list_alerts(chat_id) if view.rule.id == rule_id]
            if not found:
                await self._db.execute("DELETE FROM alert_snoozes WHERE rule_id = ?", (rule_id,))
                raise UserError(f"there is no alert #{rule_id} in this chat — /alerts lists them")
            rule = found[0]
        await self._db.execute(
            "INSERT INTO alert_snoozes (rule_id, chat_id, until) VALUES (?, ?, ?)"
            " ON CONFLICT (rule_id) DO UPDATE SET until = excluded.until, chat_id = excluded.chat_id",
            (rule_id, chat_id, to_db(until)))
        self._changed.set()
        if self.on_snoozed is not None:
            await self.on_snoozed()
        return rule, until

    def wake(self) -> None:
        """Look at the snoozes again now (one was set by another process, fxbot.scaleout)."""
        self._changed.set()

    async def resume_due(self) -> int:
        """Resume every alert whose snooze ended; how many were resumed (a deleted or resumed-by-hand one is
        just forgotten)."""
        now = self._clock()
        rows = await self._db.fetch_all("SELECT rule_id, chat_id FROM alert_snoozes WHERE until <= ?", (to_db(now),))
        resumed = 0
        for row in rows:
            rule_id, chat_id = int(row["rule_id"]), str(row["chat_id"])
            await self._db.execute("DELETE FROM alert_snoozes WHERE rule_id = ?", (rule_id,))
            try:
                await self._alerts.resume(chat_id, rule_id)
                resumed += 1
            except UserError as error:
                log.info("snooze of alert #%s ended: nothing to resume (%s)", rule_id, error)
            except Exception:
                log.exception("snooze of alert #%s ended but resuming it failed", rule_id)
        return resumed

    async def next_due(self) -> datetime | None:
        value = await self._db.fetch_value("SELECT MIN(until) FROM alert_snoozes")
        return None if value is None else from_db(str(value))

    async def run(self) -> None:
        """Resume snoozed alerts as their time comes, until cancelled."""
        while True:
            self._changed.clear()
            await self.resume_due()
            due = await self.next_due()
            wait = IDLE_CHECK_S if due is None else max(0.0, (due - self._clock()).total_seconds())
            try:
                async with asyncio.timeout(min(wait, IDLE_CHECK_S)):
                    await self._changed.wait()
            except TimeoutError:
                pass
