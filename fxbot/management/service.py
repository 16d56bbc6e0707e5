"""ManagementService: managed-stop rules in memory and SQLite, fed by the stream session's quotes and order events.

The stream session calls `on_quote` for every price, `position_closed` when a position is gone and
`reconcile` after (re)connecting or a gap with the positions read over REST; commands call `set_rule`,
`remove`, `rules_for_chat`. Stops are sent through the StopExecutor by the StopSender (management/stop_sender.py);
each one re-checks access first."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.domain.broker import Broker, BrokerError, Position, Quote
from fxbot.domain.instruments import instrument
from fxbot.management.engine import evaluate, next_due
from fxbot.management.executor import StopExecutor
from fxbot.management.rules import ManagedRule, RuleKind
from fxbot.management.stop_sender import StopSender
from fxbot.management.store import ManagedStopStore
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences

if TYPE_CHECKING:
    from fxbot.services.brokers import BrokerProvider
    from fxbot.storage import Storage

log = logging.getLogger(__name__)

PositionKey = tuple[str, str]  # (account id, position id)
RuleRef = tuple[str, str, RuleKind]  # (account id, position id, kind)
DueEntry = tuple[int, int, RuleRef]  # (due price × direction, version, rule): a min-heap per symbol and side


class ManagementService:
    """Evaluates every active rule on each quote of its symbol and sends the stops that are due."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, outbox: Outbox,
                 preferences: NotificationPreferences, clock: Callable[[], datetime]) -> None:
        self.store = ManagedStopStore(storage.db)
        self._by_position: dict[PositionKey, dict[RuleKind, ManagedRule]] = {}
        self._by_symbol: dict[str, set[PositionKey]] = {}
        self._stops_level: dict[tuple[str, str], int] = {}  # (account, symbol) -> broker minimum distance
        # Each active rule sits in its (symbol, direction) heap at the closing price where it next wants a stop
        # (engine.next_due), so a quote judges only the rules it reached: O(log n + due), not every rule.
        self._due: dict[tuple[str, int], list[DueEntry]] = {}
        self._version: dict[RuleRef, int] = {}
        self._seq = 0
        # The latest price per (account, symbol) with rules: a queued stop is worked out again from it when it
        # is sent, so a rule whose stop waits in the queue is not judged on every quote meanwhile.
        self._last: dict[tuple[str, str], tuple[int, int]] = {}
        self.evaluated = 0
        # In a worker process (fxbot.scaleout): whether it holds a key's partition. A rule is judged only by the
        # process that holds its key (the one streaming it: a rule acts only while its chat is bound to that key),
        # so a position reachable through keys held by two workers has one process moving its stop.
        self.key_filter: Callable[[int], bool] | None = None
        # Sending a stop (access, modify, its outcome, the chat told) works on these rules through callbacks.
        self._sender = StopSender(storage=storage, brokers=brokers, outbox=outbox, preferences=preferences,
                                  clock=clock, store=self.store, stops_level=self._stops_level,
                                  rules_at=self._rules_at, remove=self.remove, settle=self._settle,
                                  latest=self._latest, schedule=self._schedule)
        self.executor = StopExecutor(self._sender.apply)

    def __repr__(self) -> str:
        return f"ManagementService(positions={len(self._by_position)})"

    # -- loading and changing rules -------------------------------------------------------------

    async def load(self) -> int:
        """Read every stored rule (at start); how many."""
        self._by_position.clear()
        self._by_symbol.clear()
        self._due.clear()
        self._version.clear()
        rules = await self.store.all()
        for rule in rules:
            self._index(rule)
        return len(rules)

    async def set_rule(self, rule: ManagedRule) -> ManagedRule:
        """Store a rule (replacing one of its kind on its position) and start evaluating it."""
        saved = await self.store.upsert(rule)
        self._index(saved)
        return saved

    async def arm(self, rule: ManagedRule, quote: Quote) -> bool:
        """Store the rule and judge it at once on this (REST) quote; True when a stop was queued."""
        saved = await self.set_rule(rule)
        spec = instrument(saved.symbol)
        if spec is None:
            return False
        return self._judge(saved, spec.to_points(quote.bid), spec.to_points(quote.ask))

    async def remove(self, account_id: str, position_id: str, kind: RuleKind | None = None) -> int:
        """Remove a position's rules (of one kind, or all); how many went."""
        count = await self.store.delete_position(account_id, position_id, kind)
        key = (account_id, position_id)
        rules = self._by_position.get(key, {})
        for rule_kind in list(rules):
            if kind is None or rule_kind is kind:
                rules.pop(rule_kind)
                self._version.pop((account_id, position_id, rule_kind), None)
        if not rules:
            self._unindex(key)
        return count

    def rules_for_chat(self, chat_id: str) -> list[ManagedRule]:
        return sorted((r for rules in self._by_position.values() for r in rules.values() if r.chat_id == chat_id),
                      key=lambda r: r.id)

    def rules_of(self, account_id: str, position_id: str) -> list[ManagedRule]:
        return list(self._by_position.get((account_id, position_id), {}).values())

    def _rules_at(self, account_id: str, position_id: str) -> dict[RuleKind, ManagedRule]:
        """The position's live rules by kind (empty when it has none): what the StopSender acts on."""
        return self._by_position.get((account_id, position_id), {})

    def symbols(self, account_id: str) -> set[str]:
        """The symbols with rules on this account (their quotes must be subscribed)."""
        return {r.symbol for (a, _), rules in self._by_position.items() if a == account_id for r in rules.values()}

    def _index(self, rule: ManagedRule) -> None:
        key = (rule.account_id, rule.position_id)
        self._by_position.setdefault(key, {})[rule.kind] = rule
        self._by_symbol.setdefault(rule.symbol, set()).add(key)
        self._schedule(rule)

    def _schedule(self, rule: ManagedRule) -> None:
        """(Re)place the rule in its heap at its next due price; an inactive or finished rule leaves it."""
        ref: RuleRef = (rule.account_id, rule.position_id, rule.kind)
        self._seq += 1
        self._version[ref] = self._seq
        if not rule.active:
            return
        if self.key_filter is not None and not self.key_filter(rule.key_id):
            return  # another process holds its key (partitions moving: the stops are loaded again)
        due = next_due(rule, min_distance_points=self._stops_level.get((rule.account_id, rule.symbol), 0))
        if due is not None:
            heap = self._due.setdefault((rule.symbol, rule.direction), [])
            heapq.heappush(heap, (rule.direction * due, self._seq, ref))
            if len(heap) > 4 * len(self._version) + 64:  # mostly stale entries of rescheduled rules: compact
                heap[:] = [entry for entry in heap if self._version.get(entry[2]) == entry[1]]
                heapq.heapify(heap)

    def _unindex(self, key: PositionKey) -> None:
        rules = self._by_position.pop(key, {})
        self.executor.forget(*key)
        for rule in rules.values():
            self._version.pop((rule.account_id, rule.position_id, rule.kind), None)
            keys = self._by_symbol.get(rule.symbol)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_symbol[rule.symbol]

    # -- the stream's hooks ---------------------------------------------------------------------

    def on_quote(self, account_ids: Iterable[str], quote: Quote) -> int:
        """Judge the rules of these accounts this price reached; queue the stops now due; how many were queued."""
        spec = instrument(quote.symbol)
        if spec is None or quote.symbol not in self._by_symbol:
            return 0
        accounts = account_ids if isinstance(account_ids, (set, frozenset)) else set(account_ids)
        bid, ask = spec.to_points(quote.bid), spec.to_points(quote.ask)
        for account in accounts:
            self._last[(account, quote.symbol)] = (bid, ask)
        queued = 0
        for direction, close in ((1, bid), (-1, ask)):
            heap = self._due.get((quote.symbol, direction))
            if not heap:
                continue
            reached = direction * close
            elsewhere: list[DueEntry] = []  # reached, but a rule of an account this price is not for
            while heap and heap[0][0] <= reached:
                entry = heapq.heappop(heap)
                ref = entry[2]
                if self._version.get(ref) != entry[1]:
                    continue  # replaced, rescheduled or removed since
                if ref[0] not in accounts:
                    elsewhere.append(entry)
                    continue
                rule = self._by_position.get((ref[0], ref[1]), {}).get(ref[2])
                if rule is None:
                    continue
                if self._judge(rule, bid, ask):
                    queued += 1
            for entry in elsewhere:
                heapq.heappush(heap, entry)
        return queued

    def _judge(self, rule: ManagedRule, bid: int, ask: int) -> bool:
        if not rule.active:
            return False
        self.evaluated += 1
        result = evaluate(rule, bid, ask, min_distance_points=self._stops_level.get((rule.account_id, rule.symbol), 0))
        rule.best_points = result.best_points
        if result.stop_points is None:
            self._schedule(rule)
            return False
        rule.pending_points = result.stop_points
        self._unschedule(rule)  # out of the heaps while its stop waits: worked out again when it is sent
        self.executor.submit(rule, result.stop_points)
        return True

    def _unschedule(self, rule: ManagedRule) -> None:
        self._seq += 1
        self._version[(rule.account_id, rule.position_id, rule.kind)] = self._seq

    def _latest(self, rule: ManagedRule, queued: int) -> int | None:
        """The stop to send now for a queued one: judged again on the latest price (None: no longer due)."""
        last = self._last.get((rule.account_id, rule.symbol))
        if last is None:
            return queued
        pending, rule.pending_points = rule.pending_points, None
        try:
            result = evaluate(rule, *last, min_distance_points=self._stops_level.get((rule.account_id, rule.symbol), 0))
        finally:
            rule.pending_points = pending
        rule.best_points = result.best_points
        return result.stop_points

    def stop_changed(self, account_id: str, position_id: str, sl: float | None) -> None:
        """The position's stop changed (a /modify, the terminal, or our own move): it is the reference now, so a
        stop someone tightened by hand is never moved back by a rule."""
        rules = self._by_position.get((account_id, position_id))
        spec = None if not rules else instrument(next(iter(rules.values())).symbol)
        if not rules or spec is None:
            return
        points = None if sl is None else spec.to_points(sl)
        for rule in rules.values():
            rule.stop_points = points
            if self.executor.queued_for(rule) is None and rule.pending_points is None:
                self._schedule(rule)

    async def position_closed(self, account_id: str, position_id: str) -> None:
        """The position is gone: its rules go away."""
        if (account_id, position_id) in self._by_position:
            await self.remove(account_id, position_id)

    async def reconcile(self, broker: Broker, key_id: int, account_id: str, positions: Sequence[Position]) -> None:
        """After a (re)connect or a gap: drop the rules of positions that closed, take each open position's stop
        as the truth, and apply once what the current REST price makes due (never backwards)."""
        open_now = {p.id: p for p in positions}
        quotes: dict[str, Quote] = {}
        for key in [k for k in self._by_position if k[0] == account_id]:
            rules = self._by_position.get(key, {})
            if not rules or next(iter(rules.values())).key_id != key_id:
                continue
            position = open_now.get(key[1])
            if position is None:
                await self.remove(*key)
                continue
            spec = instrument(position.symbol)
            if spec is None:
                continue
            for rule in rules.values():
                rule.stop_points = None if position.sl is None else spec.to_points(position.sl)
                rule.pending_points = None if self.executor.queued_for(rule) is None else rule.pending_points
            if position.symbol not in quotes:
                try:
                    quotes[position.symbol] = await broker.get_quote(position.symbol, account_id=account_id)
                except BrokerError as exc:
                    log.info("managed stops: no REST quote for %s (%s)", position.symbol, type(exc).__name__)
                    continue
            quote = quotes[position.symbol]
            for rule in list(rules.values()):
                self._judge(rule, spec.to_points(quote.bid), spec.to_points(quote.ask))

    # -- after a stop was sent (StopSender.apply) -----------------------------------------------------

    def _settle(self, rule: ManagedRule, sent: int, *, judge: bool = True) -> None:
        """A stop was dealt with: unless a newer one is queued, nothing is on its way; every rule of the position
        is judged again on the latest price (queueing what is due now) or rescheduled (`judge=False`: after a
        failure, so the next quote decides, never a tight retry loop)."""
        if self.executor.queued_for(rule) is None:
            rule.pending_points = None
        last = self._last.get((rule.account_id, rule.symbol))
        for other in list(self._by_position.get((rule.account_id, rule.position_id), {}).values()):
            if self.executor.queued_for(other) is not None:
                continue  # still waiting in the queue
            if judge and last is not None and other.active:
                self._judge(other, *last)
            else:
                self._schedule(other)
