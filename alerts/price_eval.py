"""Evaluation of price rules on quotes: crossings by bisection, hysteresis re-arm, repeat, runaway.

Index entries of a rule follow its state (see `entries`): an armed once/every rule sits at its
level L, in the direction that fires it; a disarmed `every` rule at its re-arm point(s) L ∓ h; a
`repeat` rule where it enters and where it leaves its state; paused/done rules have none.
"""

from __future__ import annotations

from array import array
from datetime import datetime
from functools import partial

from alerts.firing import KIND_PRICE, KIND_RUNAWAY, Firing, price_firing, runaway_firing
from alerts.index import AlertIndex, SideBook
from alerts.price_table import (
    ABOVE,
    BELOW,
    CROSS,
    CROSS_DOWN,
    CROSS_UP,
    EVERY,
    F_ARMED,
    F_DONE,
    F_LIVE,
    F_PAUSED,
    NO_POINTS,
    ONCE,
    REPEAT,
    PriceRuleTable,
    RuleSnapshot,
)
from alerts.rules import PriceRule, PriceSide, pip_points
from fxbot.domain.instruments import instrument
from fxbot.notify.notification import Severity

RUNAWAY_FIRES = 15
RUNAWAY_WINDOW_S = 180
SPREAD_EMA_ALPHA = 0.05
_BLOCKED = F_DONE | F_PAUSED
_PLAIN = F_LIVE | F_ARMED



class PendingEntries:
    """Index entries of one book gathered during a cold start, sorted into its indexes once at the end."""

    __slots__ = ("down_points", "down_slots", "up_points", "up_slots")

    def __init__(self) -> None:
        self.up_points: array[int] = array("q")
        self.up_slots: array[int] = array("i")
        self.down_points: array[int] = array("q")
        self.down_slots: array[int] = array("i")

    def add(self, slot: int, up: tuple[int, ...], down: tuple[int, ...]) -> None:
        for points in up:
            self.up_points.append(points)
            self.up_slots.append(slot)
        for points in down:
            self.down_points.append(points)
            self.down_slots.append(slot)


def condition_hit(cond: int, prev: int, cur: int, level: int) -> bool:
    """Whether a price condition holds on the move prev -> cur (integer points; touching counts)."""
    if cond == ABOVE:
        return cur >= level
    if cond == BELOW:
        return cur <= level
    if cond == CROSS_UP:
        return prev < level <= cur
    if cond == CROSS_DOWN:
        return cur <= level < prev
    return prev < level <= cur or cur <= level < prev

class PriceEvaluator:
    """Owns the price-rule table and index; `on_quote` returns the firings of one quote."""

    def __init__(self) -> None:
        self.table = PriceRuleTable()
        self.index = AlertIndex()
        self.spread: dict[str, float] = {}
        self.dirty: set[int] = set()
        self._pip: dict[int, int] = {}
        self.pending: dict[int, PendingEntries] = {}  # cold start: index entries gathered per book
        self.unwatched_quotes: dict[tuple[str, str], tuple[float, float, float]] = {}  # bid, ask, epoch seconds

    # -- index entries ------------------------------------------------------------------------

    def entries(self, slot: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The rule's (up, down) index entries: where a rising / falling price changes its state."""
        t = self.table
        flags = t.flags[slot]
        if not flags & F_LIVE or flags & _BLOCKED:
            return (), ()
        level = t.level[slot]
        cond = t.condition[slot]
        if t.mode[slot] == REPEAT:  # enters and leaves the state: a rise to L and a fall below it (or the mirror)
            return ((level,), (level - 1,)) if cond == ABOVE else ((level + 1,), (level,))
        if flags & F_ARMED:
            if cond in (ABOVE, CROSS_UP):
                return (level,), ()
            if cond in (BELOW, CROSS_DOWN):
                return (), (level,)
            return (level,), (level,)
        band = max(t.band[slot], 1)  # disarmed `every`: where it re-arms
        if cond in (ABOVE, CROSS_UP):
            return (), (level - band,)
        if cond in (BELOW, CROSS_DOWN):
            return (level + band,), ()
        return (level + band,), (level - band,)

    def rearm_points(self, slot: int) -> tuple[int, ...]:
        """Where a disarmed `every` rule re-arms (for its message), lowest first."""
        up, down = self.entries(slot)
        return (*down, *up)

    def index_add(self, slot: int) -> None:
        book = self.index.books[self.table.book[slot]]
        up, down = self.entries(slot)
        for points in up:
            book.up.add(points, slot)
        for points in down:
            book.down.add(points, slot)

    def index_remove(self, slot: int) -> None:
        book = self.index.books[self.table.book[slot]]
        up, down = self.entries(slot)
        for points in up:
            book.up.remove(points, slot)
        for points in down:
            book.down.remove(points, slot)
        book.holding.pop(slot)

    # -- quotes -------------------------------------------------------------------------------

    def typical_spread(self, symbol: str) -> float:
        return self.spread.get(symbol, 0.0)

    def on_quote(
        self, account_id: str, symbol: str, bid: float, ask: float, at: datetime, now: float, after_gap: bool
    ) -> list[Firing]:
        books = self.index.by_symbol.get((account_id, symbol))
        if books is None:
            self.unwatched_quotes[(account_id, symbol)] = (bid, ask, now)
            return []
        fired: list[Firing] = []
        watched = books.watched
        if not watched:
            return fired
        scale = watched[0].scale
        # the typical spread, an EMA over quotes (once per quote, whatever the sides watched)
        spread_points = (ask - bid) * scale
        old = self.spread.get(symbol)
        if old is None:
            spec = instrument(symbol)
            old = float(spec.typical_spread_points) if spec is not None else spread_points
        self.spread[symbol] = old + SPREAD_EMA_ALPHA * (spread_points - old)
        for book in watched:
            side = book.side
            if side is PriceSide.BID:
                cur = round(bid * book.scale)
            elif side is PriceSide.ASK:
                cur = round(ask * book.scale)
            else:
                cur = round((bid + ask) * book.scale / 2)
            prev = book.last
            if book.unsynced or prev is None or now >= book.next_due:
                self._evaluate(book, cur, at, now, after_gap, fired)
                continue
            # the hot path: only the entries between the previous and this price
            if prev != cur:
                for slot in book.candidates(prev, cur):
                    self.step(book, slot, prev, cur, at, now, after_gap, fired)
            if now < book.bar_end:  # book.saw(cur, now) inlined
                book.last = cur
                book.last_at = now
                if cur > book.bar_hi:
                    book.bar_hi = cur
                elif cur < book.bar_lo:
                    book.bar_lo = cur
            else:
                book.saw(cur, now)
        return fired

    def _evaluate(self, book: SideBook, cur: int, at: datetime, now: float, gap: bool, fired: list[Firing]) -> None:
        prev = book.last
        done: set[int] | None = None
        if book.unsynced:
            done = self._sync(book, cur, at, now, gap, fired)
        if prev is not None and prev != cur:
            for slot in book.candidates(prev, cur):
                if done is None or slot not in done:
                    self.step(book, slot, prev, cur, at, now, gap, fired)
        book.saw(cur, now)
        if now >= book.next_due:
            self._repeat_due(book, cur, at, now, gap, fired)

    def _sync(self, book: SideBook, cur: int, at: datetime, now: float, gap: bool, fired: list[Firing]) -> set[int]:
        """Judge the rules added without a price (or loaded at start) against their own remembered price.

        A plain armed once/every rule that cannot fire is skipped without a call (the inline test is
        step()'s own); everything else goes through step().
        """
        pending, book.unsynced = book.unsynced, array("i")
        t = self.table
        flags_of, mode_of, cond_of, level_of, last_of = t.flags, t.mode, t.condition, t.level, t.last
        step = self.step
        for slot in pending:
            own = last_of[slot]
            prev = cur if own == NO_POINTS else own
            if flags_of[slot] == _PLAIN and mode_of[slot] != REPEAT:
                level = level_of[slot]
                cond = cond_of[slot]
                # condition_hit() inlined: this loop is the engine's hot path
                if cond == ABOVE:
                    hit = cur >= level
                elif cond == BELOW:
                    hit = cur <= level
                elif cond == CROSS_UP:
                    hit = prev < level <= cur
                elif cond == CROSS_DOWN:
                    hit = cur <= level < prev
                else:
                    hit = prev < level <= cur or cur <= level < prev
                if not hit:
                    continue
            step(book, slot, prev, cur, at, now, gap, fired)
        return set(pending)

    def step(
        self, book: SideBook, slot: int, prev: int, cur: int, at: datetime, now: float, gap: bool,
        fired: list[Firing],
    ) -> None:
        """Judge one rule for a move prev -> cur (touching the level counts)."""
        t = self.table
        flags = t.flags[slot]
        if not flags & F_LIVE or flags & _BLOCKED:
            return
        expires = t.expires
        if expires:
            when = expires.get(slot)
            if when is not None and when <= now:
                return  # expired: reported by the expiry sweep, never fired again
        level = t.level[slot]
        cond = t.condition[slot]
        mode = t.mode[slot]
        if mode == REPEAT:
            holds = cur >= level if cond == ABOVE else cur <= level
            if not holds:
                if book.holding.pop(slot) is not None:
                    book.recompute_next_due()
            elif slot not in book.holding:
                last_fired = t.last_fired.get(slot)
                due = now if last_fired is None else max(now, last_fired + 60.0 * t.repeat.get(slot, 1))
                book.holding.set(slot, due)
                if due <= now:
                    self._fire(book, slot, cur, prev, at, now, gap, fired)
                book.recompute_next_due()
            return
        if not flags & F_ARMED:
            band = max(t.band[slot], 1)
            if cond in (ABOVE, CROSS_UP):
                rearm = cur <= level - band
            elif cond in (BELOW, CROSS_DOWN):
                rearm = cur >= level + band
            else:
                rearm = abs(cur - level) >= band
            if rearm:
                self.index_remove(slot)
                t.flags[slot] = flags | F_ARMED
                t.last[slot] = cur
                self.index_add(slot)
                self.dirty.add(t.ids[slot])
            return
        # condition_hit() inlined: the hot path
        if cond == ABOVE:
            hit = cur >= level
        elif cond == BELOW:
            hit = cur <= level
        elif cond == CROSS_UP:
            hit = prev < level <= cur
        elif cond == CROSS_DOWN:
            hit = cur <= level < prev
        else:
            hit = prev < level <= cur or cur <= level < prev
        if hit:
            if mode == ONCE:
                self._fire_once(book, slot, cond, level, cur, prev, at, now, gap, fired)
            else:
                self._fire(book, slot, cur, prev, at, now, gap, fired)

    def _fire_once(
        self, book: SideBook, slot: int, cond: int, level: int, cur: int, prev: int, at: datetime, now: float,
        gap: bool, fired: list[Firing],
    ) -> None:
        """_fire() for an armed `once` rule (most firings): its entries go, its slot is released, and the
        snapshot of its final state is made directly."""
        t = self.table
        rule_id = t.ids[slot]
        seq = t.fire_seq[slot]
        if cond in (ABOVE, CROSS_UP):
            book.up.remove(level, slot)
        elif cond in (BELOW, CROSS_DOWN):
            book.down.remove(level, slot)
        else:
            book.up.remove(level, slot)
            book.down.remove(level, slot)
        recent = t.recent.get(slot)
        if recent:
            kept = [moment for moment in recent if moment > now - RUNAWAY_WINDOW_S]
            kept.append(now)
            recent = tuple(kept)
        else:
            recent = (now,)
        snap: RuleSnapshot = (
            rule_id, t.chat[slot], t.owner[slot], t.created[slot], cond, level, ONCE,
            (t.flags[slot] | F_DONE) & ~F_ARMED, cur, seq + 1, t.band[slot], t.book[slot], None,
            t.user_band.get(slot), t.expires.get(slot), now, t.notes.get(slot), recent,
        )
        fired.append(Firing.deferred(
            partial(_price_firing, t, snap, book, cur, prev if gap else None, seq, at, gap, ()),
            chat_id=t.strings[snap[1]], rule_id=rule_id, kind=KIND_PRICE, severity=Severity.INFO,
            dedupe_key=f"alert:{rule_id}:{seq}", at=at, after_gap=gap,
        ))
        book.live -= 1
        t.release(slot)
        self.dirty.discard(rule_id)

    def _fire(
        self, book: SideBook, slot: int, cur: int, prev: int, at: datetime, now: float, gap: bool,
        fired: list[Firing],
    ) -> None:
        t = self.table
        rule_id = t.ids[slot]
        seq = t.fire_seq[slot]
        mode = t.mode[slot]
        recent = [*t.recent.get(slot, ()), now]
        while recent and recent[0] <= now - RUNAWAY_WINDOW_S:
            recent.pop(0)
        if mode != REPEAT:
            self.index_remove(slot)
        t.fire_seq[slot] = seq + 1
        t.last_fired[slot] = now
        t.last[slot] = cur
        t.recent[slot] = tuple(recent)
        rearm: tuple[int, ...] = ()
        if mode == ONCE:
            t.flags[slot] = (t.flags[slot] | F_DONE) & ~F_ARMED
        elif mode == EVERY:
            band = self.hysteresis(book, slot)
            t.band[slot] = band
            level = t.level[slot]
            if not (t.condition[slot] == CROSS and abs(cur - level) >= band):
                t.flags[slot] &= ~F_ARMED
            rearm = self.rearm_points(slot) if not t.flags[slot] & F_ARMED else ()
            self.index_add(slot)
        else:
            book.holding.set(slot, now + 60.0 * t.repeat.get(slot, 1))
            book.recompute_next_due()
        runaway = mode != ONCE and len(recent) > RUNAWAY_FIRES
        if runaway:
            self.index_remove(slot)
            t.flags[slot] |= F_PAUSED
            book.live -= 1
        snap = t.snapshot(slot)
        chat_id = t.strings[snap[1]]
        fired.append(Firing.deferred(
            partial(_price_firing, t, snap, book, cur, prev if gap else None, seq, at, gap, rearm),
            chat_id=chat_id, rule_id=rule_id, kind=KIND_PRICE, severity=Severity.INFO,
            dedupe_key=f"alert:{rule_id}:{seq}", at=at, after_gap=gap,
        ))
        if runaway:
            fired.append(Firing.deferred(
                partial(_runaway_firing, t, snap, book, at, len(recent)), chat_id=chat_id, rule_id=rule_id,
                kind=KIND_RUNAWAY, severity=Severity.WARNING, dedupe_key=f"runaway:{rule_id}:{seq + 1}", at=at,
            ))
        if mode == ONCE:
            book.live -= 1
            t.release(slot)
        self.dirty.discard(rule_id)

    def hysteresis(self, book: SideBook, slot: int) -> int:
        """h = max(user value, 2 × typical spread, 1 pip), in points."""
        pip = self._pip.get(self.table.book[slot])
        if pip is None:
            pip = pip_points(book.symbol, book.digits)
            self._pip[self.table.book[slot]] = pip
        user = self.table.user_band.get(slot, -1)
        return max(user, round(2 * self.spread.get(book.symbol, 0.0)), pip)

    def _repeat_due(self, book: SideBook, cur: int, at: datetime, now: float, gap: bool, fired: list[Firing]) -> None:
        """Fire the holding repeat rules that are due (earliest first); an expired one stops holding instead."""
        t = self.table
        for slot in book.holding.take_due(now):
            if slot not in book.holding:
                continue
            if t.expires and t.is_expired(slot, now):
                book.holding.pop(slot)  # reported by the expiry sweep, never fired again
                continue
            self._fire(book, slot, cur, cur, at, now, gap, fired)
        book.recompute_next_due()

    # -- rules in and out ---------------------------------------------------------------------

    def insert(self, rule: PriceRule) -> int | None:
        """Store a rule and index it; None when it is done or expired (nothing to watch)."""
        if rule.state.done or rule.state.expired_reported:
            return None
        number = self.index.book_number(rule.account_id, rule.symbol, rule.side, rule.digits)
        slot = self.table.insert(rule, number)
        book = self.index.books[number]
        if book.last is None:
            seen = self.unwatched_quotes.pop((rule.account_id, rule.symbol), None)
            if seen is not None:
                book.saw(side_points(seen[0], seen[1], book.side, book.digits), seen[2])
        if not rule.state.paused:
            book.live += 1
            self.index_add(slot)
            book.unsynced.append(slot)
        return slot

    def book_of(self, slot: int) -> SideBook:
        return self.index.books[self.table.book[slot]]

    def rule_at(self, slot: int) -> PriceRule:
        book = self.book_of(slot)
        return self.table.rule_of(slot, book.account_id, book.symbol, book.digits, book.side)

    def drop(self, slot: int) -> None:
        book = self.book_of(slot)
        flags = self.table.flags[slot]
        if flags & F_LIVE and not flags & _BLOCKED:
            book.live -= 1
        self.index_remove(slot)
        if slot in book.unsynced:
            book.unsynced.remove(slot)
        self.table.release(slot)


def _price_firing(
    table: PriceRuleTable, snap: RuleSnapshot, book: SideBook, cur: int, prev: int | None, seq: int,
    at: datetime, gap: bool, rearm: tuple[int, ...],
) -> Firing:
    rule = table.rule_from(snap, book.account_id, book.symbol, book.digits, book.side)
    return price_firing(rule, price_points=cur, prev_points=prev, fire_seq_before=seq, at=at, after_gap=gap,
                        rearm_points=rearm)


def _runaway_firing(table: PriceRuleTable, snap: RuleSnapshot, book: SideBook, at: datetime, fires: int) -> Firing:
    rule = table.rule_from(snap, book.account_id, book.symbol, book.digits, book.side)
    return runaway_firing(rule, at, fires, RUNAWAY_WINDOW_S)


def side_points(bid: float, ask: float, side: PriceSide, digits: int) -> int:
    """The watched price of a quote as integer points (mid is rounded to a point)."""
    scale = 10.0**digits
    if side is PriceSide.BID:
        return round(bid * scale)
    if side is PriceSide.ASK:
        return round(ask * scale)
    return round((bid + ask) * scale / 2)
