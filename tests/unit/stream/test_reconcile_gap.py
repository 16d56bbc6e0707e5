"""reconcile_quotes after an outage: the gap's M1 candles are asked from the last judged minute; without them,
the current quote alone is judged (as before)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fxbot.alerts.rules import FireState, PriceCondition, PriceRule, PriceSide
from fxbot.domain.broker import Candle, CandleSeries, Quote, ServerError, Timeframe
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.alerts import AlertService
from fxbot.storage import Storage
from fxbot.stream.reconcile import reconcile_quotes
from tests.unit.services.fake_chat_broker import NOW, FakeBrokers, ScriptedBroker

ACC = "acc_8xKm2"
LAST_JUDGED = NOW + timedelta(seconds=20)  # 14:30:20


@dataclass
class GapBroker(ScriptedBroker):
    """The current quote is back at 1.08500; the 14:31 candle went up to 1.09050 in between."""

    candles_fail: bool = False
    asked: list[dict[str, Any]] = field(default_factory=list)

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        return Quote(symbol=symbol, bid=1.0850, ask=1.08502, time=NOW)

    async def get_candles(self, symbol: str, *, timeframe: Timeframe = Timeframe.H1, start: datetime | None = None,
                          end: datetime | None = None, limit: int | None = None,
                          account_id: str | None = None) -> CandleSeries:
        self.asked.append({"timeframe": timeframe, "start": start, "limit": limit, "account_id": account_id})
        if self.candles_fail:
            raise ServerError("candles are down", status=503)
        bars = [Candle(time=NOW, open=1.0850, high=1.0850, low=1.0850, close=1.0850, volume=3),
                Candle(time=NOW + timedelta(minutes=1), open=1.0850, high=1.0905, low=1.0850, close=1.0850, volume=9)]
        return CandleSeries(symbol=symbol, timeframe=timeframe, candles=bars)


async def _service(storage: Storage, broker: GapBroker) -> AlertService:
    service = AlertService(storage=storage, brokers=FakeBrokers(broker), outbox=Outbox(storage.db),  # type: ignore[arg-type]
                           preferences=NotificationPreferences(storage.db), clock=lambda: NOW)
    rule = PriceRule(id=1, chat_id="console:a", owner_id="a", account_id=ACC, created_at=NOW, symbol="EURUSD",
                     digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=109000,
                     state=FireState(last_points=108500))
    service.engine.add(rule)
    service.engine.on_quote(ACC, "EURUSD", 1.0850, 1.08502, LAST_JUDGED)  # the last price before the outage
    return service


async def test_the_candles_since_the_last_judged_minute_find_a_round_trip(storage: Storage) -> None:
    broker = GapBroker()
    service = await _service(storage, broker)
    firings, judged = await reconcile_quotes(broker, service, {ACC: {"EURUSD"}}, NOW + timedelta(minutes=3))  # type: ignore[arg-type]
    assert [f.rule_id for f in firings] == [1] and firings[0].after_gap
    assert judged == {(ACC, "EURUSD")}
    assert broker.asked == [{"timeframe": Timeframe.M1, "start": NOW, "limit": 1440, "account_id": ACC}]


async def test_without_candles_the_current_quote_is_still_judged(storage: Storage) -> None:
    broker = GapBroker(candles_fail=True)
    service = await _service(storage, broker)
    firings, judged = await reconcile_quotes(broker, service, {ACC: {"EURUSD"}}, NOW + timedelta(minutes=3))  # type: ignore[arg-type]
    assert firings == [] and judged == {(ACC, "EURUSD")}  # the round trip cannot be seen, nothing breaks
