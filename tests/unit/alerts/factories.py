"""Small builders of rules and quotes for the alert tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import Firing
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
CHAT = "telegram:-100123"
ACC = "acc_1"


def price_rule(
    rule_id: int,
    condition: PriceCondition,
    level: float,
    *,
    created_price: float | None = None,
    mode: Mode = Mode.ONCE,
    repeat: int | None = None,
    side: PriceSide = PriceSide.BID,
    symbol: str = "EURUSD",
    digits: int = 5,
    hysteresis: int | None = None,
    expires_at: datetime | None = None,
) -> PriceRule:
    return PriceRule(
        id=rule_id, chat_id=CHAT, owner_id="telegram:42", account_id=ACC, created_at=T0, symbol=symbol,
        digits=digits, side=side, condition=condition, level_points=round(level * 10**digits), mode=mode,
        repeat_minutes=repeat, hysteresis_points=hysteresis, expires_at=expires_at,
        state=FireState(last_points=None if created_price is None else round(created_price * 10**digits)),
    )


class Feed:
    """Feeds bid quotes (spread 0.2 pip) to an engine with a fake clock advancing 1 s per quote."""

    def __init__(self, engine: AlertEngine, symbol: str = "EURUSD", spread: float = 0.00002) -> None:
        self.engine = engine
        self.symbol = symbol
        self.spread = spread
        self.now = T0

    def tick(self, bid: float, *, seconds: float = 1.0, after_gap: bool = False) -> list[Firing]:
        self.now += timedelta(seconds=seconds)
        return self.engine.on_quote(ACC, self.symbol, bid, bid + self.spread, self.now, after_gap=after_gap)

    def ids(self, *bids: float, seconds: float = 1.0) -> list[int]:
        out: list[int] = []
        for bid in bids:
            out.extend(f.rule_id for f in self.tick(bid, seconds=seconds))
        return out
