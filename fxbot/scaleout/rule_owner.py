"""WorkerRules: a worker keeps in its alert engine only the rules of chats bound to the keys it holds.

`hold_chats(chats)` is told the chats of the worker's streams each time the stream pump re-reads the
bindings: rules of chats gone are dropped (their quiet state saved first), rules of new chats are loaded
from the database (a partition taken over, a chat newly bound). `reload(rule_id)` applies a change made
by another process (`alert_rules` notification): the rule is read again and replaces the engine's copy,
as a restart would for that one rule, or leaves the engine when it was deleted, finished or is not ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from fxbot.alerts.rows import ALL_COLUMNS, LEAN_PRICE_COLUMNS, rule_from_row
from fxbot.alerts.rules import Rule
from fxbot.scaleout.change_feed import RECONNECT
from fxbot.services.alerts import AlertService
from fxbot.storage.database import Database

log = logging.getLogger(__name__)

CHATS_PER_QUERY = 500
RULES_PER_STEP = 5_000  # rules added or dropped between two yields to the loop (the streams keep flowing)
_SELECT_ACTIVE = (f"SELECT {', '.join(ALL_COLUMNS)} FROM alert_rules"
                  " WHERE done = 0 AND expired_reported = 0 AND chat_id IN ({marks}) ORDER BY id")
_SELECT_LEAN = (f"SELECT {', '.join(LEAN_PRICE_COLUMNS)} FROM alert_rules"
                " WHERE kind = 'price' AND done = 0 AND expired_reported = 0 AND chat_id IN ({marks})")
_SELECT_ACCOUNT = (f"SELECT {', '.join(ALL_COLUMNS)} FROM alert_rules"
                   " WHERE kind = 'account' AND done = 0 AND expired_reported = 0 AND chat_id IN ({marks}) ORDER BY id")
_SELECT_IDS = "SELECT id FROM alert_rules WHERE chat_id IN ({marks})"
_SELECT_THREADS = ("SELECT t.rule_id, t.thread_id FROM alert_threads t JOIN alert_rules r ON r.id = t.rule_id"
                   " WHERE r.chat_id IN ({marks})")


class WorkerRules:
    """The alert rules one worker evaluates: those of the chats its streams serve."""

    def __init__(self, alerts: AlertService, db: Database, *, clock: Callable[[], datetime],
                 on_rules_changed: Callable[[], Awaitable[None]] | None = None) -> None:
        self._alerts = alerts
        self._db = db
        self._clock = clock
        self._on_rules_changed = on_rules_changed  # the pump re-subscribes its streams
        self.chats: frozenset[str] = frozenset()
        self.reloads = 0
        self._ids: dict[str, set[int]] = {}  # chat -> ids of the rules loaded for it (dropped with the chat)
        self._chat_of: dict[int, str] = {}
        self._started = False  # the first chats taken on (the worker's start) load like a cold start
        self._lock = asyncio.Lock()  # taking on/dropping chats and reloading one rule never interleave

    def __repr__(self) -> str:
        return f"WorkerRules(chats={len(self.chats)}, rules={len(self._alerts.engine)})"

    async def hold_chats(self, chats: Iterable[str]) -> tuple[int, int]:
        """Serve exactly these chats from now on; (rules loaded, rules dropped)."""
        async with self._lock:
            changed = await self._hold(frozenset(chats))
        if changed != (0, 0) and self._on_rules_changed is not None:
            await self._on_rules_changed()
        return changed

    async def _hold(self, chats: frozenset[str]) -> tuple[int, int]:
        wanted = chats
        gone, new = self.chats - wanted, wanted - self.chats
        if not gone and not new:
            return 0, 0
        dropped = 0
        engine = self._alerts.engine
        if gone:
            await self._alerts.save_state_changes()  # quiet changes (re-arms, dormancy) are not lost with them
            ids = set(await self._rule_ids(sorted(gone)))  # stored under these chats now
            for chat_id in gone:  # and loaded under them (a chat that moved to a new id has none stored any more)
                ids.update(self._ids.pop(chat_id, ()))
            for count, rule_id in enumerate(sorted(ids), 1):
                self._untrack(rule_id)
                dropped += engine.remove(rule_id)
                if count % RULES_PER_STEP == 0:
                    await asyncio.sleep(0)
            self.chats -= gone
        first = not self._started and len(engine) == 0
        self._started = True
        loaded = 0
        if new and first:  # the worker's start: like a cold start, price rules column-wise without rule objects
            loaded = await self._cold_load(sorted(new))
        elif new:  # everything is read before the engine changes: a failed read is retried at the next refresh
            rules = [rule for rule in await self._load(sorted(new)) if engine.get(rule.id) is None]  # not twice
            for start in range(0, len(rules), RULES_PER_STEP):
                loaded += engine.add_many(rules[start:start + RULES_PER_STEP])
                await asyncio.sleep(0)
        self.chats = wanted
        if loaded or dropped:
            log.info("alerts: %d rules of %d chats taken on, %d rules of %d chats given up",
                     loaded, len(new), dropped, len(gone))
        return loaded, dropped

    async def reload(self, payload: str) -> None:
        """An `alert_rules` notification: re-read that rule (`*reconnect*`: every rule of our chats)."""
        if payload == RECONNECT:
            await self.reload_all()
            return
        try:
            rule_id = int(payload)
        except ValueError:
            log.warning("alerts: ignoring an alert_rules notification that names no rule id: %r", payload[:40])
            return
        self.reloads += 1
        async with self._lock:
            stored = await self._alerts.repository.get(rule_id)
            thread = await self._db.fetch_value("SELECT thread_id FROM alert_threads WHERE rule_id = ?", (rule_id,))
            engine = self._alerts.engine
            engine.remove(rule_id)
            self._untrack(rule_id)
            fired = []
            if stored is not None and stored.chat_id in self.chats and _active(stored):
                self._alerts.remember_threads({rule_id: None if thread is None else str(thread)})
                fired = engine.add(stored, self._clock())
                self._track(rule_id, stored.chat_id)
        if fired:
            await self._alerts.deliver(fired)
        if self._on_rules_changed is not None:
            await self._on_rules_changed()

    async def reload_all(self) -> None:
        """Drop and load again every rule of our chats (notifications may have been lost)."""
        async with self._lock:
            chats = self.chats
            await self._hold(frozenset())
            await self._hold(chats)
        if self._on_rules_changed is not None:
            await self._on_rules_changed()

    async def _rule_ids(self, chats: list[str]) -> list[int]:
        ids: list[int] = []
        for start in range(0, len(chats), CHATS_PER_QUERY):
            part = chats[start:start + CHATS_PER_QUERY]
            rows = await self._db.fetch_all(_SELECT_IDS.format(marks=", ".join("?" for _ in part)), part)
            ids.extend(int(row[0]) for row in rows)
        return ids

    async def _cold_load(self, chats: list[str]) -> int:
        """Load an empty engine: lean price rows (in id order, as the cold start needs) and the account rules."""
        engine = self._alerts.engine
        rows: list[tuple[Any, ...]] = []
        accounts: list[Rule] = []
        for part in _parts(chats):
            marks = ", ".join("?" for _ in part)
            rows.extend(tuple(row) for row in await self._db.fetch_all(_SELECT_LEAN.format(marks=marks), part))
            accounts.extend(rule_from_row(tuple(row))
                            for row in await self._db.fetch_all(_SELECT_ACCOUNT.format(marks=marks), part))
            await self._remember_threads(part)
        rows.sort(key=lambda row: int(row[0]))
        for row in rows:
            self._track(int(row[0]), str(row[1]))  # LEAN_PRICE_COLUMNS: id, chat_id, …
        for rule in accounts:
            self._track(rule.id, rule.chat_id)
        count = engine.load_price_rows(rows)
        engine.finish_loading()
        return count + engine.add_many(accounts)

    async def _remember_threads(self, chats: list[str]) -> None:
        threads = await self._db.fetch_all(_SELECT_THREADS.format(marks=", ".join("?" for _ in chats)), chats)
        self._alerts.remember_threads({int(row[0]): str(row[1]) for row in threads})

    async def _load(self, chats: list[str]) -> list[Rule]:
        db = self._db
        rules: list[Rule] = []
        for start in range(0, len(chats), CHATS_PER_QUERY):
            part = chats[start:start + CHATS_PER_QUERY]
            rows = await db.fetch_all(_SELECT_ACTIVE.format(marks=", ".join("?" for _ in part)), part)
            rules.extend(rule_from_row(tuple(row)) for row in rows)
            await self._remember_threads(part)
        for rule in rules:
            self._track(rule.id, rule.chat_id)
        return rules

    def _track(self, rule_id: int, chat_id: str) -> None:
        self._ids.setdefault(chat_id, set()).add(rule_id)
        self._chat_of[rule_id] = chat_id

    def _untrack(self, rule_id: int) -> None:
        chat_id = self._chat_of.pop(rule_id, None)
        if chat_id is not None:
            self._ids.get(chat_id, set()).discard(rule_id)


def _parts(chats: list[str]) -> list[list[str]]:
    return [chats[start:start + CHATS_PER_QUERY] for start in range(0, len(chats), CHATS_PER_QUERY)]


def _active(rule: Rule) -> bool:
    return not (rule.state.done or rule.state.expired_reported)
