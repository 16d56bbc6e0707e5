"""The alert pipeline benchmark's workload: a realistic rule mix over the 13 real symbols and quote frames as sent.

Rules: sides bid/ask/mid 75/15/10 %, modes once/every/repeat 70/25/5 % (repeat only on above/below,
as the rules allow), the five conditions, levels within ±2 % of each symbol's reference price
(a state already true at creation is mirrored to the other side, so the first quote does not fire
a fifth of the book), 10 % with an expiry (from 30 s to 7 days after creation), 5 % with a note.

Walks: "bench" moves the bid by -2..+2 points a quote (the engine benchmark's walk); "spread" by the
same steps times the symbol's typical spread (what a real market does: a quote moves by about a
spread). Frames are the JSON text the simulator sends (`fxbot.simulator.stream_hub.frame`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.domain.instruments import INSTRUMENTS, InstrumentSpec

ACCOUNT = "acc_bench"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
FRAME_INTERVAL = timedelta(microseconds=100)  # the benchmark's clock: 10k frames per simulated second
SPECS: tuple[InstrumentSpec, ...] = tuple(INSTRUMENTS.values())
STEPS = (-2, -1, -1, 0, 1, 1, 2)
WALKS = ("bench", "spread")


def ref_points(spec: InstrumentSpec, side: PriceSide) -> int:
    bid = spec.to_points(spec.reference_price)
    spread = spec.typical_spread_points
    return bid if side is PriceSide.BID else bid + spread if side is PriceSide.ASK else bid + spread // 2


def make_rules(n: int, seed: int) -> Iterator[PriceRule]:
    """n rules of the realistic mix (ids unset: the repository gives them)."""
    rng = random.Random(seed)
    conditions = list(PriceCondition)
    states = (PriceCondition.ABOVE, PriceCondition.BELOW)
    for i in range(n):
        spec = SPECS[i % len(SPECS)]
        r = rng.random()
        side = PriceSide.BID if r < 0.75 else PriceSide.ASK if r < 0.90 else PriceSide.MID
        r = rng.random()
        mode = Mode.ONCE if r < 0.70 else Mode.EVERY if r < 0.95 else Mode.REPEAT
        cond = rng.choice(states) if mode is Mode.REPEAT else rng.choice(conditions)
        ref = ref_points(spec, side)
        level = ref + rng.randint(-ref // 50, ref // 50)
        if cond is PriceCondition.ABOVE and level <= ref:
            level = 2 * ref - level + 1
        elif cond is PriceCondition.BELOW and level >= ref:
            level = 2 * ref - level - 1
        expires = T0 + timedelta(seconds=rng.randint(30, 7 * 86_400)) if rng.random() < 0.10 else None
        yield PriceRule(
            id=0, chat_id=f"telegram:{i % 5000}", owner_id=f"telegram:{i % 3000}", account_id=ACCOUNT,
            created_at=T0, symbol=spec.symbol, digits=spec.digits, side=side, condition=cond, level_points=level,
            mode=mode, repeat_minutes=rng.choice((1, 5, 15)) if mode is Mode.REPEAT else None, expires_at=expires,
            note=f"bench note {i}" if rng.random() < 0.05 else None, state=FireState(last_points=ref),
        )


class Walk:
    """Per-symbol bid walks (symbols in turn), resumable: `frames(n)` goes on from where the last call ended."""

    def __init__(self, kind: str, seed: int) -> None:
        self.kind = kind
        self._rng = random.Random(seed)
        self._bids = [spec.to_points(spec.reference_price) for spec in SPECS]
        self._i = 0

    def quotes(self, count: int) -> list[tuple[str, float, float, str]]:
        """(symbol, bid, ask, wire time) of the next `count` quotes."""
        out = []
        rng = self._rng
        for _ in range(count):
            k = self._i % len(SPECS)
            spec = SPECS[k]
            scale = 1 if self.kind == "bench" else spec.typical_spread_points
            self._bids[k] += rng.choice(STEPS) * scale
            typical = spec.typical_spread_points
            spread = max(1, typical + rng.choice((-1, 0, 0, 0, 1)) * max(1, typical // 5))
            bid = self._bids[k]
            at = T0 + FRAME_INTERVAL * self._i
            out.append((spec.symbol, round(bid / 10**spec.digits, spec.digits),
                        round((bid + spread) / 10**spec.digits, spec.digits),
                        at.isoformat(timespec="milliseconds").replace("+00:00", "Z")))
            self._i += 1
        return out

    def frames(self, count: int) -> list[str]:
        """The next `count` quotes as the simulator's stream frames."""
        return [to_frame(*q) for q in self.quotes(count)]


def to_frame(symbol: str, bid: float, ask: float, time: str) -> str:
    spec = INSTRUMENTS[symbol]
    data = {"symbol": symbol, "bid": bid, "ask": ask, "spread": spec.pips(ask - bid), "time": time}
    return json.dumps({"type": "quote", "data": data}, separators=(",", ":"))


class FrameClock:
    """The benchmark's clock (what the pump's clock() gives): FRAME_INTERVAL later on each call."""

    def __init__(self) -> None:
        self._now = T0

    def __call__(self) -> datetime:
        self._now += FRAME_INTERVAL
        return self._now
