"""A deliberately simple price-alert evaluator (every rule judged on every quote) that the engine must agree with.

It knows nothing of indexes, slots, blocks or heaps: one object per rule, one transition per rule
and quote, in the words of docs/ALERTS semantics (touching a level counts, `every` re-arms beyond
a hysteresis band, `repeat` fires while the state holds and never more often than its interval,
runaways pause, expired rules never fire and are reported once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fxbot.alerts.price_eval import SPREAD_EMA_ALPHA
from fxbot.alerts.price_firing import RUNAWAY_FIRES, RUNAWAY_WINDOW_S
from fxbot.alerts.rules import Mode, PriceCondition, PriceRule, PriceSide, pip_points
from fxbot.domain.instruments import instrument

Outcome = tuple[str, int, str, tuple[bool, bool, bool, int | None] | None]
"""(kind, rule id, dedupe key, (armed, done, paused, last points) after a price firing)."""

SIDES = (PriceSide.BID, PriceSide.ASK, PriceSide.MID)


@dataclass
class RefRule:
    rule: PriceRule
    armed: bool
    paused: bool
    own_last: int | None
    band: int
    fire_seq: int
    last_fired: float | None
    recent: list[float]
    synced: bool = False
    done: bool = False
    gone: bool = False
    holding_due: float | None = None

    @property
    def live(self) -> bool:
        return not (self.done or self.gone or self.paused)

    @property
    def expires(self) -> float | None:
        return None if self.rule.expires_at is None else self.rule.expires_at.timestamp()


@dataclass
class Reference:
    """The rules of one account, judged one by one."""

    rules: dict[int, RefRule] = field(default_factory=dict)
    last: dict[tuple[str, PriceSide], int] = field(default_factory=dict)
    books: set[tuple[str, PriceSide]] = field(default_factory=set)
    spread: dict[str, float] = field(default_factory=dict)
    unwatched: dict[str, tuple[float, float]] = field(default_factory=dict)

    # -- rules in and out ---------------------------------------------------------------------

    def add(self, rule: PriceRule, at: datetime) -> list[Outcome]:
        s = rule.state
        ref = RefRule(rule, armed=s.armed, paused=s.paused, own_last=s.last_points,
                      band=-1 if s.rearm_band is None else round(s.rearm_band), fire_seq=s.fire_seq,
                      last_fired=None if s.last_fired_at is None else s.last_fired_at.timestamp(),
                      recent=list(s.recent_fires))
        self.rules[rule.id] = ref
        key = (rule.symbol, rule.side)
        if key not in self.last:  # a book without a price takes the quote seen while the symbol had no book
            seen = self.unwatched.pop(rule.symbol, None)
            if seen is not None:
                self.last[key] = side_points(seen[0], seen[1], rule.side, rule.digits)
        self.books.add(key)
        if ref.paused or key not in self.last:
            return []
        cur = self.last[key]
        prev = cur if ref.own_last is None else ref.own_last
        ref.synced = True
        out: list[Outcome] = []
        self._judge(ref, prev, cur, at.timestamp(), out)
        return out

    def remove(self, rule_id: int) -> None:
        self.rules[rule_id].gone = True

    def pause(self, rule_id: int) -> None:
        ref = self.rules[rule_id]
        if ref.live:
            ref.paused = True
            ref.holding_due = None

    def resume(self, rule_id: int) -> None:
        ref = self.rules[rule_id]
        if ref.gone or ref.done or not ref.paused:
            return
        ref.paused, ref.armed, ref.recent, ref.synced = False, True, [], False
        ref.own_last = self.last.get((ref.rule.symbol, ref.rule.side))

    def expire_due(self, now: datetime) -> list[Outcome]:
        out: list[Outcome] = []
        for rule_id in sorted(self.rules, key=lambda i: (self.rules[i].expires or 0.0, i)):
            ref = self.rules[rule_id]
            if ref.gone or ref.done or ref.expires is None or ref.expires > now.timestamp():
                continue
            ref.gone = True
            out.append(("expired", rule_id, f"expired:{rule_id}", None))
        return out

    # -- quotes -------------------------------------------------------------------------------

    def on_quote(self, symbol: str, bid: float, ask: float, at: datetime) -> list[Outcome]:
        sides = [side for side in SIDES if (symbol, side) in self.books]
        if not sides:
            self.unwatched[symbol] = (bid, ask)
            return []
        digits = next(r.rule.digits for r in self.rules.values() if r.rule.symbol == symbol)
        spread_points = (ask - bid) * 10.0**digits
        old = self.spread.get(symbol)
        if old is None:
            spec = instrument(symbol)
            old = float(spec.typical_spread_points) if spec is not None else spread_points
        self.spread[symbol] = old + SPREAD_EMA_ALPHA * (spread_points - old)
        now = at.timestamp()
        out: list[Outcome] = []
        for side in sides:
            cur = side_points(bid, ask, side, digits)
            book_prev = self.last.get((symbol, side))
            mine = [r for r in self.rules.values() if r.rule.symbol == symbol and r.rule.side is side and r.live]
            for ref in mine:
                if ref.synced:
                    prev = cur if book_prev is None else book_prev
                else:
                    prev = cur if ref.own_last is None else ref.own_last
                    ref.synced = True
                self._judge(ref, prev, cur, now, out)
            self.last[(symbol, side)] = cur
            for ref in mine:  # repeat rules that are due
                if ref.live and ref.holding_due is not None and ref.holding_due <= now:
                    if ref.expires is not None and ref.expires <= now:
                        ref.holding_due = None
                    else:
                        self._fire(ref, cur, now, out)
        return out

    def _judge(self, ref: RefRule, prev: int, cur: int, now: float, out: list[Outcome]) -> None:
        if not ref.live or (ref.expires is not None and ref.expires <= now):
            return
        rule = ref.rule
        level, cond = rule.level_points, rule.condition
        if rule.mode is Mode.REPEAT:
            holds = cur >= level if cond is PriceCondition.ABOVE else cur <= level
            if not holds:
                ref.holding_due = None
            elif ref.holding_due is None:
                due = now if ref.last_fired is None else max(now, ref.last_fired + 60.0 * (rule.repeat_minutes or 1))
                ref.holding_due = due
                if due <= now:
                    self._fire(ref, cur, now, out)
            return
        if not ref.armed:
            band = max(ref.band, 1)
            if cond in (PriceCondition.ABOVE, PriceCondition.CROSS_UP):
                rearm = cur <= level - band
            elif cond in (PriceCondition.BELOW, PriceCondition.CROSS_DOWN):
                rearm = cur >= level + band
            else:
                rearm = abs(cur - level) >= band
            if rearm:
                ref.armed, ref.own_last = True, cur
            return
        hit = {
            PriceCondition.ABOVE: cur >= level,
            PriceCondition.BELOW: cur <= level,
            PriceCondition.CROSS_UP: prev < level <= cur,
            PriceCondition.CROSS_DOWN: cur <= level < prev,
            PriceCondition.CROSS: prev < level <= cur or cur <= level < prev,
        }[cond]
        if hit:
            self._fire(ref, cur, now, out)

    def _fire(self, ref: RefRule, cur: int, now: float, out: list[Outcome]) -> None:
        rule = ref.rule
        seq = ref.fire_seq
        ref.fire_seq += 1
        ref.last_fired = now
        ref.own_last = cur
        ref.recent = [t for t in [*ref.recent, now] if t > now - RUNAWAY_WINDOW_S]
        if rule.mode is Mode.ONCE:
            ref.done, ref.armed = True, False
        elif rule.mode is Mode.EVERY:
            user = -1 if rule.hysteresis_points is None else rule.hysteresis_points
            ref.band = max(user, round(2 * self.spread.get(rule.symbol, 0.0)), pip_points(rule.symbol, rule.digits))
            if not (rule.condition is PriceCondition.CROSS and abs(cur - rule.level_points) >= ref.band):
                ref.armed = False
        else:
            ref.holding_due = now + 60.0 * (rule.repeat_minutes or 1)
        runaway = rule.mode is not Mode.ONCE and len(ref.recent) > RUNAWAY_FIRES
        if runaway:
            ref.paused = True
            ref.holding_due = None
        out.append(("price_alert", rule.id, f"alert:{rule.id}:{seq}", (ref.armed, ref.done, ref.paused, cur)))
        if runaway:
            out.append(("runaway", rule.id, f"runaway:{rule.id}:{seq + 1}", None))


def side_points(bid: float, ask: float, side: PriceSide, digits: int) -> int:
    scale = 10.0**digits
    if side is PriceSide.BID:
        return round(bid * scale)
    if side is PriceSide.ASK:
        return round(ask * scale)
    return round((bid + ask) * scale / 2)
