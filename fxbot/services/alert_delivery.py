"""Persisting an alert burst: its notifications and fire states in one transaction, and the quiet state changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import KIND_RUNAWAY, Firing
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, PriceRule, Rule
from fxbot.notify.outbox import Outbox

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
        notifications = [f.to_notification(thread_id=self._threads.get(f.rule_id)) for f in batch]
        async with self._storage.db.transaction():
            fresh = await self.outbox.enqueue_many(notifications)
            price, other, runaways = self._fired_states(batch)  # read in the transaction: the engine's latest
            await self.repository.save_fired_states(price, price=True)  # never over a newer state
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

    def _fired_states(self, batch: list[Firing]) -> tuple[dict[int, FireState], dict[int, FireState], dict[int, int]]:
        """The states to store for a burst: price rules', other rules' (a rule that fired twice: its latest, with
        what changed quietly since, e.g. a re-arm), and the runaway pauses to store (rule id -> fire_seq; not
        for a rule resumed meanwhile)."""
        latest: dict[int, Rule] = {}
        runaway: list[int] = []
        for firing in batch:
            rule = firing.rule
            latest[rule.id] = rule
            if firing.kind == KIND_RUNAWAY:
                runaway.append(rule.id)
        price: dict[int, FireState] = {}
        other: dict[int, FireState] = {}
        fire_state = self.engine.fire_state
        for rule_id, rule in latest.items():
            state = rule.state
            now = fire_state(rule_id) if not state.done else None  # a done rule has left the engine
            (price if isinstance(rule, PriceRule) else other)[rule_id] = (
                now if now is not None and now.fire_seq == state.fire_seq else state)
        runaways: dict[int, int] = {}
        for rule_id in runaway:
            now = fire_state(rule_id)
            if now is None or now.paused:
                runaways[rule_id] = latest[rule_id].state.fire_seq
        return price, other, runaways

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
