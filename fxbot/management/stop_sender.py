"""Sending one managed stop: access re-checked, the modify sent, every outcome settled and told to the chat."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import (
    AccessRefusedError,
    Broker,
    BrokerError,
    InvalidArgumentError,
    NotFoundError,
    OrderChanges,
    OutcomeUnknownError,
    RejectedError,
    SupportsSymbolSpecs,
)
from fxbot.domain.instruments import InstrumentSpec, instrument
from fxbot.management.notices import NOTIFY_TYPE, rule_suspended, stop_moved, stop_refused
from fxbot.management.rules import ManagedRule, RuleKind, RuleStatus
from fxbot.management.store import ManagedStopStore
from fxbot.notify.notification import Notification
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences

if TYPE_CHECKING:
    from fxbot.services.brokers import BrokerProvider
    from fxbot.storage import Storage

log = logging.getLogger("fxbot.management.service")  # the service's logger, as before the split


@dataclass(frozen=True, slots=True)
class Denied:
    """Why a rule may not act any more (told to its chat once, when it is suspended)."""

    reason: str


class Remove(Protocol):
    """ManagementService.remove: a position's rules (of one kind, or all) go; how many went."""

    async def __call__(self, account_id: str, position_id: str, kind: RuleKind | None = None) -> int: ...


class Settle(Protocol):
    """ManagementService._settle: a stop was dealt with; the position's rules are judged again or rescheduled."""

    def __call__(self, rule: ManagedRule, sent: int, *, judge: bool = True) -> None: ...


class StopSender:
    """Applies a stop the StopExecutor hands over (`apply`), working on the service's rules through its callbacks.

    `rules_at` gives a position's live rules (by kind), `remove` drops rules (stored and in memory), `settle`
    judges the position's rules again after a stop was dealt with, `latest` works a queued stop out again on
    the latest price, `schedule` puts a rule back in (or out of) its heap. `stops_level` is the service's own
    map of each (account, symbol)'s broker minimum distance, learned here before the first modify."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, outbox: Outbox,
                 preferences: NotificationPreferences, clock: Callable[[], datetime], store: ManagedStopStore,
                 stops_level: dict[tuple[str, str], int],
                 rules_at: Callable[[str, str], dict[RuleKind, ManagedRule]],
                 remove: Remove, settle: Settle,
                 latest: Callable[[ManagedRule, int], int | None],
                 schedule: Callable[[ManagedRule], None]) -> None:
        self._storage = storage
        self._brokers = brokers
        self._outbox = outbox
        self._preferences = preferences
        self._clock = clock
        self._store = store
        self._stops_level = stops_level
        self._rules_at = rules_at
        self._remove = remove
        self._settle = settle
        self._latest = latest
        self._schedule = schedule

    async def apply(self, rule: ManagedRule, stop_points: int) -> None:
        """Send one stop: access first; every outcome handled (an unknown one by re-reading the position)."""
        key = (rule.account_id, rule.position_id)
        if self._rules_at(*key).get(rule.kind) is not rule:
            return  # removed or replaced meanwhile
        spec = instrument(rule.symbol)
        assert spec is not None
        if rule.stop_points is not None and rule.direction * (stop_points - rule.stop_points) <= 0:
            self._settle(rule, stop_points)  # another rule of the position moved it as far already: never back
            return
        denied = await self._denied(rule)
        if denied is not None:
            await self._suspend(rule, denied.reason)
            return
        broker = await self._brokers.for_key(rule.key_id)
        await self._learn_stops_level(broker, rule)
        latest = self._latest(rule, stop_points)
        if latest is None:  # the price went back: nothing is due any more
            self._settle(rule, stop_points)
            return
        stop_points = rule.pending_points = latest
        price = spec.from_points(stop_points)
        try:
            await broker.modify_order(rule.position_id, OrderChanges(sl=price), account_id=rule.account_id)
        except NotFoundError:
            await self._remove(*key)
            return
        except OutcomeUnknownError:
            await self._reread(broker, rule, spec, stop_points)
            return
        except AccessRefusedError as exc:
            await self._suspend(rule, f"the API refused the key ({exc})")
            return
        except (RejectedError, InvalidArgumentError) as exc:
            await self._refused(rule, spec, stop_points, str(exc))
            return
        except BrokerError as exc:  # surely not done (unreachable, rate limited, server error): next quote retries
            log.info("managed stops: modify of %s not sent (%s)", rule.position_id, type(exc).__name__)
            self._settle(rule, stop_points, judge=False)
            return
        await self._moved(rule, spec, stop_points)

    async def _moved(self, rule: ManagedRule, spec: InstrumentSpec, stop_points: int) -> None:
        rule.failed_points = None
        if rule.kind is RuleKind.BREAKEVEN:
            await self._remove(rule.account_id, rule.position_id, RuleKind.BREAKEVEN)  # done: one move
        for other in self._rules_at(rule.account_id, rule.position_id).values():
            other.stop_points = stop_points  # every rule of the position sees the same stop
            await self._store.save_state(other)
        self._settle(rule, stop_points)
        await self._notify(stop_moved(rule, spec, stop_points, now=self._clock()), rule)

    async def _reread(self, broker: Broker, rule: ManagedRule, spec: InstrumentSpec, sent: int) -> None:
        """The modify may or may not have happened: never resend it, look at the position instead."""
        try:
            positions = await broker.get_positions(account_id=rule.account_id)
        except BrokerError as exc:
            log.warning("managed stops: outcome of a modify of %s unknown and positions unreadable (%s); "
                        "only a stop beyond it will be sent", rule.position_id, type(exc).__name__)
            return  # pending stays set: that stop is never sent again, only one a step beyond it
        position = next((p for p in positions if p.id == rule.position_id), None)
        if position is None:
            await self._remove(rule.account_id, rule.position_id)
            return
        now = None if position.sl is None else spec.to_points(position.sl)
        if now == sent:
            await self._moved(rule, spec, sent)
            return
        for other in self._rules_at(rule.account_id, rule.position_id).values():
            other.stop_points = now
            await self._store.save_state(other)
        self._settle(rule, sent, judge=False)

    async def _refused(self, rule: ManagedRule, spec: InstrumentSpec, stop_points: int, reason: str) -> None:
        first = rule.failed_points is None
        rule.failed_points = stop_points  # tried again only beyond it
        await self._store.save_state(rule)
        self._settle(rule, stop_points, judge=False)
        if first:
            await self._notify(stop_refused(rule, spec, stop_points, reason, now=self._clock()), rule)

    async def _suspend(self, rule: ManagedRule, reason: str) -> None:
        for other in self._rules_at(rule.account_id, rule.position_id).values():
            if other.active:
                other.status = RuleStatus.SUSPENDED
                self._schedule(other)  # out of the heaps
                await self._store.save_state(other)
                await self._notify(rule_suspended(other, reason, now=self._clock()), other, force=True)

    async def _denied(self, rule: ManagedRule) -> Denied | None:
        """Access at the moment of acting: the chat still bound to the rule's key, a trade+ key, a trader owner."""
        binding = await self._storage.bindings.get(rule.chat_id)
        if binding is None or binding.key_id != rule.key_id:
            return Denied("the chat is no longer bound to the key the rule was set with")
        key = await self._storage.keys.get(rule.key_id)
        if key is None or not Scope(key.scope).allows(Scope.TRADE):
            return Denied("the chat's key no longer allows trading")
        if not rule.private_chat:
            member = await self._storage.members.get(rule.chat_id, rule.owner_id)
            if member is None or not member.role.allows(Role.TRADER):
                return Denied("whoever set it is no longer a trader in this chat")
        return None

    async def _learn_stops_level(self, broker: Broker, rule: ManagedRule) -> None:
        where = (rule.account_id, rule.symbol)
        if where in self._stops_level:
            return
        level = 0
        if isinstance(broker, SupportsSymbolSpecs):
            try:
                level = (await broker.symbol_spec(rule.symbol, account_id=rule.account_id)).stops_level_points or 0
            except BrokerError:
                level = 0
        self._stops_level[where] = level

    async def _notify(self, made: Notification, rule: ManagedRule, *, force: bool = False) -> None:
        """Through the outbox, as the chat's `/notify trail` says (suspensions are always told)."""
        mode = await self._preferences.mode(rule.chat_id, NOTIFY_TYPE)
        if mode == "off" and not force:
            return
        await self._outbox.enqueue(replace(made, silent=mode == "silent" and not force, thread_id=rule.thread_id))
