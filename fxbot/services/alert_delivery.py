"""Persisting an alert burst: its notifications and fire states in one transaction, and the quiet state changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.decided_price_firing import DecidedPriceFiring
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import KIND_RUNAWAY, Firing
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, PriceRule
from fxbot.chat.types import ChatKind
from fxbot.notify.outbox import Outbox, OutboxRow, notification_row, price_alert_row
from fxbot.storage.timestamps import to_db

if TYPE_CHECKING:
    from fxbot.storage import Storage


class AlertDelivery:
    """The delivery side of AlertService (shared with the stream pump's FiringWriter): `deliver` a burst of
    firings, `save_state_changes` for what changed without notifying anybody. AlertService sets the fields."""

    _storage: Storage
    outbox: Outbox
    engine: AlertEngine
    repository: AlertRepository
    _threads: dict[int, str]
    _quiet_unsaved: dict[int, FireState]
    on_fired: Callable[[str], None] | None
    on_rule_fired: Callable[[int], None] | None

    async def deliver(self, firings: Iterable[Firing]) -> int:
        """Persist a burst of firings in one transaction: every notification (deduplicated by its key) and
        every fire state, then the quiet changes; all or nothing, so a crash neither loses nor repeats one
        (what was not committed fires again after a restart, with the same keys). Returns how many were new.

        A firing decided before its rule was paused, resumed or deleted is still told, once (the crossing
        happened while the alert was set); its state write leaves that change alone (AlertRepository)."""
        batch = list(firings)
        if not batch:
            await self.save_state_changes()
            return 0
        rows = self._outbox_rows(batch)
        async with self._storage.db.transaction():
            fresh = await self.outbox.enqueue_rows(rows)
            price_rows, price, other, runaways = self._fired_states(batch)  # read in the transaction: the latest
            await self.repository.save_price_fire_rows(price_rows)  # never over a newer state
            await self.repository.save_fired_states(price, price=True)
            await self.repository.save_fired_states(other)
            await self.repository.pause_runaways(runaways)
            quiet = await self._write_quiet_states()
        self._forget_saved(quiet)
        if self.on_fired is not None:
            for firing, new in zip(batch, fresh, strict=True):
                if new:
                    self.on_fired(firing.kind)
        if self.on_rule_fired is not None:
            for firing, new in zip(batch, fresh, strict=True):
                if new:
                    self.on_rule_fired(firing.rule_id)
        return sum(fresh)

    def _outbox_rows(self, batch: list[Firing]) -> list[OutboxRow]:
        """The outbox rows of a burst: a price alert the quote loop decided in its compact form (its text is
        rendered when sent), any other firing's notification as written."""
        threads = self._threads
        outbox = self.outbox
        chats: dict[str, tuple[str, ChatKind]] = {}  # chat id -> (platform, kind)
        last_at: datetime | None = None
        created_at = ""
        rows: list[OutboxRow] = []
        for firing in batch:
            chat_id = firing.chat_id
            chat = chats.get(chat_id)
            if chat is None:
                chat = chats[chat_id] = (chat_id.split(":", 1)[0], outbox.chat_kind(chat_id))
            if type(firing) is DecidedPriceFiring and firing.unbuilt:
                at = firing.at
                if at is not last_at:  # the firings of one quote share their time
                    last_at, created_at = at, to_db(at)
                rows.append(price_alert_row(firing.dedupe_key, chat_id, chat[0], threads.get(firing.rule_id),
                                            chat[1].value, created_at, firing.outbox_payload()))
            else:
                rows.append(notification_row(firing.to_notification(thread_id=threads.get(firing.rule_id)), chat[1]))
        return rows

    def _fired_states(self, batch: list[Firing]) -> tuple[
            list[tuple[object, ...]], dict[int, FireState], dict[int, FireState], dict[int, int]]:
        """The states to store for a burst, of each rule fired its latest (a rule that fired twice: its latest,
        with what changed quietly since, e.g. a re-arm): as rows for the price firings of the quote loop, else
        price rules' and other rules'; and the runaway pauses to store (rule id -> fire_seq; not for a rule
        resumed meanwhile)."""
        latest: dict[int, Firing] = {}
        runaway: list[int] = []
        for firing in batch:
            latest[firing.rule_id] = firing
            if firing.kind == KIND_RUNAWAY:
                runaway.append(firing.rule_id)
        rows: list[tuple[object, ...]] = []
        price: dict[int, FireState] = {}
        other: dict[int, FireState] = {}
        fire_state = self.engine.fire_state
        for rule_id, firing in latest.items():
            if type(firing) is DecidedPriceFiring and firing.unbuilt:
                rows.append(firing.fire_row())
                continue
            rule = firing.rule
            state = rule.state
            now = fire_state(rule_id) if not state.done else None  # a done rule has left the engine
            (price if isinstance(rule, PriceRule) else other)[rule_id] = (
                now if now is not None and now.fire_seq == state.fire_seq else state)
        runaways: dict[int, int] = {}
        for rule_id in runaway:
            now = fire_state(rule_id)
            if now is None or now.paused:
                runaways[rule_id] = latest[rule_id].rule.state.fire_seq
        return rows, price, other, runaways

    async def save_state_changes(self) -> None:
        """Persist re-arms, pauses and dormancy that notified nobody (not ahead of a firing still being written:
        its write carries them)."""
        self._quiet_unsaved.update(self.engine.take_state_changes())
        if not self._quiet_unsaved:
            return
        async with self._storage.db.transaction():
            written = await self._write_quiet_states()
        self._forget_saved(written)

    async def _write_quiet_states(self) -> dict[int, FireState]:
        """Write the quiet changes taken from the engine, with those of an attempt that was not committed (a
        failed burst must not lose a re-arm); returns what was written, to forget once committed."""
        self._quiet_unsaved.update(self.engine.take_state_changes())
        changes = dict(self._quiet_unsaved)
        if changes:
            await self.repository.save_quiet_states(changes)
        return changes

    def _forget_saved(self, written: Mapping[int, FireState]) -> None:
        for rule_id, state in written.items():
            if self._quiet_unsaved.get(rule_id) is state:  # not replaced by a newer change meanwhile
                del self._quiet_unsaved[rule_id]
