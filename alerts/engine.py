"""AlertEngine: the one object the stream pump feeds (quotes, account updates, clock ticks).

Contract for the caller (the pump, through AlertService.deliver): enqueue `firing.to_notification()`
and persist `firing.state` in one transaction (AlertRepository.save_fired_states: never over a newer
state); persist `take_state_changes()` (re-arms, dormancy, new trading days: changes that notify
nobody) with AlertRepository.save_quiet_states, which never lets a state run ahead of a firing whose
notification is not stored yet. What was not committed fires again after a restart, with the same
dedupe key, which the outbox drops if it was stored.
Bursts of account updates should be coalesced by the pump (only the latest state evaluated).
The engine is synchronous, does no I/O and never raises on odd market data.

Scale: price rules live in flat arrays (~61 bytes a rule with the index), so a million rules hold
a few thousand GC-tracked objects and need no gc tuning. A price firing is decided at once (chat,
rule id, dedupe key, the new state kept in a snapshot); its rule object and text are built when
first read (`firing.to_notification()`, `firing.state`), ~30 us each.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.account_rules import AccountRules
from fxbot.alerts.firing import Firing
from fxbot.alerts.gap_replay import GapBar, gap_start, replay_book
from fxbot.alerts.price_columns import PriceColumns
from fxbot.alerts.price_eval import PriceEvaluator
from fxbot.alerts.price_load import finish_loading, finish_loading_books, load_columns
from fxbot.alerts.price_reading import PriceReading, judge_alone
from fxbot.alerts.price_states import pause_price_rule, resume_price_rule, take_price_state_changes
from fxbot.alerts.price_table import F_LIVE, NO_POINTS
from fxbot.alerts.rule_expiry import RuleExpiry
from fxbot.alerts.rules import AccountRule, FireState, PriceSide, Rule


class AlertEngine:
    """Price rules in a compact bisection index (alerts.price_eval); account rules per account (alerts.account_rules);
    expiry by a heap (alerts.rule_expiry)."""

    def __init__(self) -> None:
        self._prices = PriceEvaluator()
        self._accounts = AccountRules()
        self._expiry = RuleExpiry()

    def __len__(self) -> int:
        return self._prices.table.count + len(self._accounts)

    # -- rules --------------------------------------------------------------------------------

    def add(self, rule: Rule, now: datetime | None = None, *,
            reading: PriceReading | AccountState | None = None) -> list[Firing]:
        """Watch a stored rule (it must have its id); returns what fires at once (a state already true).

        A price rule is judged against the last price seen for its symbol and side if there is
        one, else on the next quote (`above`/`below` fire at once if true; crossings are judged
        from the price remembered at creation, `rule.state.last_points`). `reading` (what was read
        over REST to set the rule) concerns this rule only, see `judge_now`.
        """
        at = now or rule.created_at
        if isinstance(rule, AccountRule):
            if not self._add_account(rule):
                return []
            return self.judge_now(rule.id, reading if isinstance(reading, AccountState) else None, at)
        slot = self._prices.insert(rule)
        if slot is None:
            return []
        self._expiry.push(rule)
        if rule.state.paused:
            return []
        if isinstance(reading, PriceReading):
            return judge_alone(self._prices, slot, reading, at)
        book = self._prices.book_of(slot)
        if book.last is None:
            return []
        book.unsynced.remove(slot)
        own = self._prices.table.last[slot]
        fired: list[Firing] = []
        self._prices.step(book, slot, book.last if own == NO_POINTS else own, book.last, at, at.timestamp(), False,
                          fired)
        return fired

    def add_many(self, rules: Iterable[Rule]) -> int:
        """Cold start: watch many stored rules without judging them (the next quotes do); returns the count."""
        count = 0
        for rule in rules:
            if isinstance(rule, AccountRule):
                count += self._add_account(rule)
            elif self._prices.insert(rule) is not None:
                self._expiry.push(rule)
                count += 1
        return count

    def load_price_rows(self, rows: Iterable[Sequence[Any]]) -> int:
        """Cold start: lean rows (alerts.rows.LEAN_PRICE_COLUMNS); call finish_loading() after.

        Rows must come in ascending id order. Like add_many, nothing is judged until the next quotes.
        """
        return self.load_price_columns(PriceColumns.from_lean_rows(list(rows)))

    def load_price_columns(self, columns: PriceColumns) -> int:
        """Cold start, fast path: active price rules column by column (ascending ids, e.g. from
        AlertRepository.load_into); call finish_loading() after the last chunk. Returns the count."""
        count, expiries = load_columns(self._prices, columns)
        self._expiry.push_loaded(expiries)
        return count

    def finish_loading(self) -> None:
        """Index what load_price_rows/load_price_columns gathered; the engine is ready for quotes afterwards."""
        finish_loading(self._prices)

    def finish_loading_books(self) -> Iterator[int]:
        """finish_loading() one book at a time (a cold start lets the event loop run between two books)."""
        return finish_loading_books(self._prices)

    def remove(self, rule_id: int) -> bool:
        """Stop watching a rule (deleted by its chat); False when the engine does not have it."""
        slot = self._prices.table.slot_of(rule_id)
        if slot is not None:
            self._prices.drop(slot)
            self._prices.dirty.discard(rule_id)
            return True
        return self._accounts.remove(rule_id) is not None

    def get(self, rule_id: int) -> Rule | None:
        slot = self._prices.table.slot_of(rule_id)
        if slot is not None:
            return self._prices.rule_at(slot)
        return self._accounts.get(rule_id)

    def pause(self, rule_id: int) -> bool:
        """Pause a rule (it keeps its place but never fires); False if unknown or already paused."""
        slot = self._prices.table.slot_of(rule_id)
        if slot is not None:
            return pause_price_rule(self._prices, slot)
        return self._accounts.pause(rule_id)

    def resume(self, rule_id: int) -> bool:
        """Resume a paused rule, freshly armed: edges are judged from the current price."""
        slot = self._prices.table.slot_of(rule_id)
        if slot is not None:
            return resume_price_rule(self._prices, slot)
        return self._accounts.resume(rule_id)

    def judge_now(self, rule_id: int, reading: PriceReading | AccountState | None, at: datetime) -> list[Firing]:
        """Judge one just added or resumed rule at once; no other rule sees `reading`, and no book moves.

        A price rule is judged on the newer of the book's last price and the reading (a REST quote
        can be older than the stream's last price); an account rule on the stream's last state of
        its account when there is one (pushed on every change, so current), else on the reading.
        """
        slot = self._prices.table.slot_of(rule_id)
        if slot is not None:
            return judge_alone(self._prices, slot, reading if isinstance(reading, PriceReading) else None, at)
        return self._accounts.judge_now(rule_id, reading if isinstance(reading, AccountState) else None, at)

    def fire_state(self, rule_id: int) -> FireState | None:
        """A watched rule's fire state now (cheaper than `get`); None when the engine does not watch it."""
        slot = self._prices.table.slot_of(rule_id)
        if slot is not None:
            return self._prices.table.state_of(slot)
        rule = self._accounts.get(rule_id)
        return None if rule is None else rule.state

    def last_price(self, account_id: str, symbol: str, side: PriceSide = PriceSide.BID) -> float | None:
        """The last price judged for (account, symbol, side), None when none was."""
        book = self._prices.index.find(account_id, symbol, side)
        return None if book is None or book.last is None else book.last / book.scale

    def gap_started(self, account_id: str, symbol: str) -> datetime | None:
        """The start of the minute the symbol's last judged price fell in (the oldest of its sides); None: none."""
        books = self._prices.index.by_symbol.get((account_id, symbol))
        start = None if books is None else gap_start(books.watched)
        return None if start is None else datetime.fromtimestamp(start, UTC)

    def replay_gap(self, account_id: str, symbol: str, bars: Sequence[GapBar], bid: float, ask: float,
                   at: datetime) -> list[Firing]:
        """After an outage: walk the bars' unseen prices, then judge the current quote (see alerts.gap_replay).

        Every firing is marked as after a gap, and a rule fires at most once for the whole gap.
        """
        fired: list[Firing] = []
        books = self._prices.index.by_symbol.get((account_id, symbol))
        if books is not None and 0.0 < bid < math.inf and 0.0 < ask < math.inf:
            for book in books.watched:
                replay_book(self._prices, book, bars, bid, ask, at, fired)
        return fired + self.on_quote(account_id, symbol, bid, ask, at, after_gap=True)

    def rules_for_chat(self, chat_id: str) -> list[Rule]:
        """Every rule the engine watches for a chat (a scan: for listings, not for the hot path)."""
        t = self._prices.table
        found: list[Rule] = []
        number = t.string_number(chat_id)
        if number is not None:
            for slot in t.live_slots():
                if t.chat[slot] == number and t.flags[slot] & F_LIVE:
                    found.append(self._prices.rule_at(slot))
        found.extend(self._accounts.for_chat(chat_id))
        return sorted(found, key=lambda r: r.id)

    def move_chat(self, old_chat_id: str, new_chat_id: str) -> int:
        """A chat changed id (Telegram group -> supergroup): its rules fire for the new id; how many moved."""
        if old_chat_id == new_chat_id:
            return 0
        moved = 0
        t = self._prices.table
        old = t.string_number(old_chat_id)
        if old is not None:
            new = t.intern_all([new_chat_id])[0]  # may widen the columns: read them after
            chats, flags = t.chat, t.flags
            for slot, number in enumerate(chats):
                if number == old:
                    chats[slot] = new
                    moved += bool(flags[slot] & F_LIVE)
        return moved + self._accounts.move_chat(old_chat_id, new_chat_id)

    def watched_symbols(self) -> dict[str, set[str]]:
        """account_id -> symbols with live price rules (what the stream must subscribe to)."""
        return self._prices.index.watched_symbols()

    def watched_accounts(self) -> set[str]:
        """Accounts with live account rules (their `account` channel must be subscribed)."""
        return self._accounts.watched_accounts()

    def typical_spread(self, symbol: str) -> float:
        """The tracked typical spread of a symbol, in points (an EMA of the quotes seen)."""
        return self._prices.typical_spread(symbol)

    # -- events -------------------------------------------------------------------------------

    def on_quote(
        self, account_id: str, symbol: str, bid: float, ask: float, at: datetime, *, after_gap: bool = False
    ) -> list[Firing]:
        """Judge the price rules of (account, symbol) for this quote; `after_gap` marks a quote after an outage.

        Crossings are judged on [last price evaluated, this price], so after an outage the first
        price is compared with the last one seen before it and firings say so.
        """
        if not (0.0 < bid < math.inf and 0.0 < ask < math.inf):  # also false for NaN
            return []
        return self._prices.on_quote(account_id, symbol, bid, ask, at, at.timestamp(), after_gap)

    def on_account(self, account_id: str, account: AccountState, at: datetime) -> list[Firing]:
        """Judge the account's margin/equity/drawdown rules on its latest state."""
        return self._accounts.on_account(account_id, account, at)

    def expire_due(self, now: datetime, *, most: int | None = None) -> list[Firing]:
        """Report (once) every rule whose expiry has passed and stop watching it (at most `most` per call: the
        rest stay due for the next call)."""
        return self._expiry.expire_due(self._prices, self._accounts, now, most)

    def take_state_changes(self) -> dict[int, FireState]:
        """Fire-state changes that notified nobody (re-arm, pause, dormancy, new day) since the last call."""
        changes: dict[int, FireState] = {}
        take_price_state_changes(self._prices, changes)
        self._accounts.take_state_changes(changes)
        return changes

    # -- internals ----------------------------------------------------------------------------

    def _add_account(self, rule: AccountRule) -> bool:
        if rule.id <= 0:
            raise ValueError("store the rule first: it has no id yet")
        if rule.state.done or rule.state.expired_reported:
            return False
        if rule.id in self._accounts or self._prices.table.slot_of(rule.id) is not None:
            raise ValueError(f"rule {rule.id} is already in the engine")
        self._accounts.add(rule)
        self._expiry.push(rule)
        return True
