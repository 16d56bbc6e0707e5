"""AlertService: create, list, delete, pause and resume a chat's alerts, and its fill notification settings."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.price_reading import PriceReading
from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import AccountRule, FireState, Rule
from fxbot.alerts.spec import (
    PRICE_USAGE,
    AlertSpecError,
    PriceRuleSpec,
    check_level_near,
    parse_alert_args,
)
from fxbot.errors import NotFound, UsageError, UserError
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences, NotifyMode
from fxbot.services.alert_delivery import AlertDelivery
from fxbot.services.alert_reads import account_and_reading, read_now, rule_symbol, side_price
from fxbot.services.brokers import BrokerProvider
from fxbot.services.chat_reads import chat_settings
from fxbot.storage.errors import InvalidValue

if TYPE_CHECKING:
    from fxbot.storage import Storage

log = logging.getLogger(__name__)

ALERT_USAGE = f"{PRICE_USAGE} · /alert margin < 150% · /alert del ID|all · /alert pause|resume ID · /alert snooze ID 1h"
ALERT_EXAMPLE = "/alert EURUSD above 1.0900"
MAX_ACTIVE_ALERTS_PER_CHAT = 200

ChangeListener = Callable[[], Awaitable[None]]
RuleFeed = Callable[[Sequence[int]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AlertView:
    """A rule as /alerts shows it: the live state from the engine when it is watched, else the stored one."""

    rule: Rule
    watched: bool

    @property
    def status(self) -> str:
        s = self.rule.state
        if s.expired_reported:
            return "expired"
        if s.done:
            return "fired" if s.fire_seq else "done"
        if s.paused:
            return "paused"
        if not s.armed:
            return "fired, waiting to re-arm"
        if isinstance(self.rule, AccountRule) and s.dormant:
            return "dormant (no margin in use)"
        return "active"

    @property
    def active(self) -> bool:
        return not (self.rule.state.done or self.rule.state.expired_reported)


@dataclass(frozen=True, slots=True)
class AlertCreated:
    """The stored rule and how many notifications it produced at once (a state already true)."""

    rule: Rule
    fired_now: int


class AlertService(AlertDelivery):
    """The use cases behind /alert, /alerts and /notify; keeps the engine index and the stream in step.

    Every change to the rules awaits the change listeners (the stream pump re-subscribes), so a
    price move right after `/alert` is already watched.

    With several processes (fxbot.scaleout) a front process does not hold rules (`holds_rules` False):
    a command still judges its rule at once (on a REST reading), then drops it from this engine, and
    `rule_feed` tells the owning worker which rules changed (it reloads them).
    """

    def __init__(
        self,
        *,
        storage: Storage,
        brokers: BrokerProvider,
        outbox: Outbox,
        preferences: NotificationPreferences,
        clock: Callable[[], datetime],
        engine: AlertEngine | None = None,
        repository: AlertRepository | None = None,
    ) -> None:
        self._storage = storage
        self._brokers = brokers
        self.outbox = outbox
        self.preferences = preferences
        self._clock = clock
        self.engine = engine if engine is not None else AlertEngine()
        self.repository = repository if repository is not None else AlertRepository(storage.db)
        self._listeners: list[ChangeListener] = []
        self._loaded = False
        self._threads: dict[int, str] = {}  # rule id -> the topic/thread it was set in (few rules have one)
        self.on_fired: Callable[[str], None] | None = None  # told each fired notification's kind (ops metrics)
        self.on_rule_fired: Callable[[int], None] | None = None  # told each new firing's rule id (alert orders)
        self.holds_rules = True  # False in a front process: the worker owning the rule's account evaluates it
        self.rule_feed: RuleFeed | None = None  # told the ids of rules changed here (other processes reload them)
        self._quiet_unsaved: dict[int, FireState] = {}  # quiet changes taken from the engine, not yet committed

    def __repr__(self) -> str:
        return f"AlertService(rules={len(self.engine)})"

    def add_change_listener(self, listener: ChangeListener) -> None:
        """Await `listener()` after every change of the rules (the pump's re-subscription)."""
        self._listeners.append(listener)

    def remove_change_listener(self, listener: ChangeListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def load(self) -> int:
        """Cold start: every active rule from SQLite into the engine (once); returns how many."""
        if self._loaded:
            return 0
        self._loaded = True
        rows = await self._storage.db.fetch_all("SELECT rule_id, thread_id FROM alert_threads")
        self._threads = {int(row["rule_id"]): str(row["thread_id"]) for row in rows}
        return await self.repository.load_into(self.engine)

    async def changed(self, *rule_ids: int) -> None:
        """Rules changed: the listeners re-subscribe; a front forgets them, and the feed tells their owner."""
        if not self.holds_rules:
            for rule_id in rule_ids:
                self.engine.remove(rule_id)
        for listener in list(self._listeners):
            try:
                await listener()
            except Exception:
                log.exception("alert change listener failed")
        if self.rule_feed is not None and rule_ids:
            try:
                await self.rule_feed(rule_ids)
            except Exception:
                log.exception("telling the other processes about changed alert rules failed")

    def remember_threads(self, threads: Mapping[int, str | None]) -> None:
        """Rule id -> the topic/thread its notifications go to (None: none), for rules loaded by a worker."""
        for rule_id, thread_id in threads.items():
            if thread_id is None:
                self._threads.pop(rule_id, None)
            else:
                self._threads[rule_id] = thread_id

    # -- commands -----------------------------------------------------------------------------

    async def create(self, chat_id: str, owner_id: str, args: list[str], *, thread_id: str | None = None,
                     with_rule: Callable[[Rule], Awaitable[None]] | None = None) -> AlertCreated:
        """Parse `/alert <args>` and store the rule for the chat's account; UsageError on bad input.

        `thread_id` is the forum topic / thread the alert was set in: its notifications go there. `with_rule`
        stores what belongs to the rule (an alert order) in the rule's own transaction, before anything can judge
        it: no firing, in this process or another, can find the rule without it (nothing is stored if it fails)."""
        now = self._clock()
        settings = await chat_settings(self._storage, chat_id)  # read once per command
        try:
            spec = parse_alert_args(args, now=now, chat_tz=settings.timezone)
        except AlertSpecError as exc:
            raise UsageError(str(exc), usage=ALERT_USAGE, example=_example_for(args)) from None
        if await self.repository.count_active_for_chat(chat_id) >= MAX_ACTIVE_ALERTS_PER_CHAT:
            raise UserError(f"this chat already has {MAX_ACTIVE_ALERTS_PER_CHAT} active alerts — "
                            "delete some first (/alerts lists them, /alert del ID removes one)")
        bound = await self._brokers.for_chat(chat_id)
        symbol = spec.symbol if isinstance(spec, PriceRuleSpec) else None
        account_id, reading = await account_and_reading(self._storage, bound, symbol, self._clock)
        rule: Rule = spec.build(chat_id=chat_id, owner_id=owner_id, account_id=account_id, now=now)
        if isinstance(spec, PriceRuleSpec) and isinstance(reading, PriceReading) and reading.usable:
            current = side_price(reading, spec.side)
            try:
                check_level_near(spec, current)
            except AlertSpecError as exc:
                raise UsageError(str(exc), usage=ALERT_USAGE, example=_example_near(spec, current)) from None
            rule = spec.build(chat_id=chat_id, owner_id=owner_id, account_id=account_id, now=now,
                              current_price=current)
        async with self._storage.db.transaction():
            rule = await self.repository.add(rule)
            if thread_id is not None:
                await self._storage.db.execute(
                    "INSERT INTO alert_threads (rule_id, thread_id) VALUES (?, ?)"
                    " ON CONFLICT (rule_id) DO UPDATE SET thread_id = excluded.thread_id", (rule.id, thread_id))
            if with_rule is not None:
                await with_rule(rule)
        if thread_id is not None:
            self._threads[rule.id] = thread_id
        fired = self.engine.add(rule, now, reading=reading)  # the reading judges this rule only
        notified = await self.deliver(fired)
        await self.changed(rule.id)
        return AlertCreated(rule=rule, fired_now=notified)

    async def list_alerts(self, chat_id: str) -> list[AlertView]:
        """The chat's active rules and those that fired or expired recently, by id."""
        stored = await self.repository.list_for_chat(chat_id, now=self._clock())
        views = []
        for rule in stored:
            live = self.engine.get(rule.id)
            views.append(AlertView(rule=live if live is not None else rule, watched=live is not None))
        return views

    async def delete(self, chat_id: str, rule_id: int) -> Rule:
        """Delete one of the chat's rules; NotFound when the chat has no such alert."""
        rule = await self._own_rule(chat_id, rule_id)
        await self.repository.delete(rule_id, chat_id)
        self.engine.remove(rule_id)
        self._threads.pop(rule_id, None)
        await self.changed(rule_id)
        return rule

    async def delete_all(self, chat_id: str) -> int:
        """Delete every rule of the chat; how many were deleted."""
        ids = await self.repository.delete_all_for_chat(chat_id)
        for rule_id in ids:
            self.engine.remove(rule_id)
            self._threads.pop(rule_id, None)
        await self.changed(*ids)
        return len(ids)

    async def pause(self, chat_id: str, rule_id: int) -> Rule:
        rule = await self._own_rule(chat_id, rule_id, active=True)
        live = self.engine.get(rule_id)
        if (live or rule).state.paused:
            raise UserError(f"alert #{rule_id} is already paused — /alert resume {rule_id} resumes it")
        await self.repository.set_paused(rule_id, True, chat_id)
        self.engine.pause(rule_id)
        await self.save_state_changes()
        await self.changed(rule_id)
        return rule

    async def resume(self, chat_id: str, rule_id: int) -> Rule:
        rule = await self._own_rule(chat_id, rule_id, active=True)
        live = self.engine.get(rule_id)
        if not (live or rule).state.paused:
            raise UserError(f"alert #{rule_id} is not paused")
        await self.repository.set_paused(rule_id, False, chat_id)
        if live is None and not self.holds_rules:  # a front judges the resumed rule once, then forgets it
            self.engine.add(rule)
        self.engine.resume(rule_id)
        reading: PriceReading | AccountState | None = None
        try:  # judged at once on the current price, like a new rule
            bound = await self._brokers.for_chat(chat_id)
            reading = await read_now(self._storage, bound, rule_symbol(rule), rule.account_id, self._clock)
        except Exception as exc:
            log.info("alert #%s resumed; judged on the next quote (%s)", rule_id, type(exc).__name__)
        fired = self.engine.judge_now(rule_id, reading, self._clock())  # this rule only: no book moves
        await self.deliver(fired)
        await self.changed(rule_id)
        return rule

    async def notify_settings(self, chat_id: str) -> dict[str, NotifyMode]:
        return await self.preferences.get(chat_id)

    async def set_notify(self, chat_id: str, event_type: str, mode: str) -> dict[str, NotifyMode]:
        """Set one fill event type (or "fills": all of them) to on|silent|off; UsageError on bad input."""
        try:
            return await self.preferences.set(chat_id, event_type, mode)
        except InvalidValue as exc:
            raise UsageError(str(exc), usage="/notify fills|TYPE on|silent|off",
                             example="/notify sl_hit on") from None

    def watched_symbols(self) -> Mapping[str, set[str]]:
        return self.engine.watched_symbols()

    # -- internals ----------------------------------------------------------------------------

    async def _own_rule(self, chat_id: str, rule_id: int, *, active: bool = False) -> Rule:
        rule = await self.repository.get(rule_id)
        if rule is None or rule.chat_id != chat_id:
            raise NotFound(f"this chat has no alert #{rule_id} — /alerts lists them")
        if active and (rule.state.done or rule.state.expired_reported):
            what = "expired" if rule.state.expired_reported else "already fired and is done"
            raise UserError(f"alert #{rule_id} {what}; nothing to pause or resume")
        return rule


def _example_near(spec: PriceRuleSpec, current: float) -> str:
    """An example level 0.5% beyond the current price, in the symbol's digits."""
    return f"/alert {spec.symbol} above {current * 1.005:.{spec.digits}f}"


def _example_for(args: list[str]) -> str:
    head = args[0].lower() if args else ""
    if head in ("margin", "marginlevel"):
        return "/alert margin < 150%"
    if head in ("freemargin", "free"):
        return "/alert freemargin < 500"
    if head == "equity":
        return "/alert equity < 9500"
    if head in ("drawdown", "dd"):
        return "/alert drawdown 3%"
    return ALERT_EXAMPLE

