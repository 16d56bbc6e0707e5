"""Order events from a terminal's `trade` deals and `positions` snapshots, fed hand-written wire payloads: each change
is announced once whatever order the two kinds of frames arrive in, with the shapes the `/v1` stream gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fxsocket.models import OpenedOrder, TradeEventData

from fxbot.backends.sdk_events import OrderEventDeriver
from fxbot.backends.sdk_symbols import SymbolMap
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker import OrderEvent, OrderType

ACC = "acc_1"
CLOCK = BrokerClock(3 * 3600, datetime(2026, 7, 15, tzinfo=UTC))  # UTC+3
SYMBOLS = SymbolMap.build(["EURUSDm", "XAUUSDm"])


def row(ticket: int, type_: str = "Buy", *, kind: str | None = None, lots: float = 0.1, price: float = 1.1,
        sl: float = 0.0, tp: float = 0.0, symbol: str = "EURUSDm") -> OpenedOrder:
    """An `OpenedOrder` as the terminal sends it (camelCase, broker time, 0.0 = no SL/TP)."""
    return OpenedOrder.model_validate({
        "ticket": ticket, "symbol": symbol, "type": type_,
        "kind": kind or ("Position" if type_ in ("Buy", "Sell") else "Pending"), "lots": lots, "openPrice": price,
        "currentPrice": price, "stopLoss": sl, "takeProfit": tp, "swap": 0.0, "profit": 0.0, "magic": 0,
        "comment": "", "openTime": "2026-07-15T13:00:00.000Z",
    })


def deal(entry: str, *, order: int, position: int, type_: str = "Buy", volume: float = 0.1, price: float = 1.1,
         profit: float = 0.0, comment: str = "", degraded: bool = False, deal_ticket: int = 30_000_001,
         commission: float = -0.7, swap: float = 0.0) -> TradeEventData:
    """A `trade` frame's data."""
    return TradeEventData.model_validate({
        "deal": deal_ticket, "order": order, "position": position, "symbol": "EURUSDm", "type": type_,
        "entry": entry, "volume": volume, "price": price, "profit": profit, "commission": commission, "swap": swap,
        "magic": 0, "comment": comment, "time": "2026-07-15T13:05:00.000Z", "degraded": degraded,
    })


def deriver(*rows: OpenedOrder) -> OrderEventDeriver:
    made = OrderEventDeriver(ACC, SYMBOLS, CLOCK)
    assert made.on_positions(list(rows)) == []  # the first snapshot is a baseline
    return made


def fields(event: OrderEvent) -> dict[str, Any]:
    return {name: getattr(event.data, name) for name in event.data.model_fields_set}


def test_a_market_order_announced_once_with_its_stops_when_the_deal_comes_first() -> None:
    events = deriver()
    assert events.on_trade(deal("In", order=7, position=7, price=1.10002)) == []  # held for the snapshot
    [opened] = events.on_positions([row(7, sl=1.09, tp=1.12, price=1.10002)])
    assert (opened.kind, opened.account_id) == ("order_opened", ACC)
    assert fields(opened) == {"id": "7", "symbol": "EURUSD", "type": OrderType.BUY, "volume": 0.1,
                              "price": 1.10002, "status": "filled", "position_id": "7", "sl": 1.09, "tp": 1.12,
                              "account_id": ACC, "time": datetime(2026, 7, 15, 10, 5, tzinfo=UTC)}
    assert events.on_positions([row(7, sl=1.09, tp=1.12, price=1.10002)]) == []


def test_a_market_order_announced_once_when_the_snapshot_comes_first() -> None:
    events = deriver()
    [opened] = events.on_positions([row(7, "Sell", tp=1.0)])
    assert opened.kind == "order_opened" and opened.data.type is OrderType.SELL and opened.data.tp == 1.0
    assert opened.data.sl is None and "sl" in opened.data.model_fields_set  # explicitly none
    assert events.on_trade(deal("In", order=7, position=7, type_="Sell")) == []


def test_a_position_opened_and_closed_between_snapshots_is_announced_from_its_deals() -> None:
    events = deriver()
    assert events.on_trade(deal("In", order=7, position=7)) == []
    opened, closed = events.on_trade(deal("Out", order=8, position=7, type_="Sell", comment="[sl 1.09000]",
                                          price=1.09, profit=-10.0))
    assert opened.kind == "order_opened" and "sl" not in opened.data.model_fields_set
    assert closed.kind == "order_closed" and closed.data.reason == "sl"
    assert events.on_positions([]) == []


def test_a_held_opening_is_announced_when_the_snapshot_lacks_it_or_the_connection_drops() -> None:
    events = deriver()
    events.on_trade(deal("In", order=7, position=7))
    [opened] = events.on_positions([])  # a newer snapshot without it: it was closed already
    assert opened.kind == "order_opened" and opened.data.id == "7"
    events.on_trade(deal("In", order=9, position=9))
    [flushed] = events.reset()
    assert flushed.data.id == "9"


def test_a_close_carries_price_profit_costs_reason_and_what_remains() -> None:
    events = deriver(row(7, lots=0.1))
    [partial] = events.on_trade(deal("Out", order=8, position=7, type_="Sell", volume=0.04, price=1.101,
                                     profit=4.0, commission=-0.28, swap=-0.1))
    assert partial.kind == "order_closed"
    assert fields(partial) == {"id": "7", "position_id": "7", "symbol": "EURUSD", "type": OrderType.BUY,
                               "volume": 0.04, "close_price": 1.101, "profit": 4.0, "commission": -0.28,
                               "swap": -0.1, "reason": "manual", "remaining": 0.06, "account_id": ACC,
                               "time": datetime(2026, 7, 15, 10, 5, tzinfo=UTC)}
    [final] = events.on_trade(deal("Out", order=9, position=7, type_="Sell", volume=0.06, comment="[tp 1.12]"))
    assert final.data.remaining == 0.0 and final.data.reason == "tp"


def test_a_close_counts_its_share_of_the_commission_the_opening_deal_charged() -> None:
    """As `/v1` and the history give it: a close's commission is its lots' whole commission (entry + exit)."""
    events = deriver()
    assert events.on_trade(deal("In", order=7, position=7, volume=0.1, commission=-0.7)) == []
    events.on_positions([row(7, lots=0.1)])
    [partial] = events.on_trade(deal("Out", order=8, position=7, type_="Sell", volume=0.04, commission=-0.28))
    assert partial.data.commission == -0.56  # -0.28 to close, -0.28 of the -0.70 paid to open 0.1
    [final] = events.on_trade(deal("Out", order=9, position=7, type_="Sell", volume=0.06, commission=-0.42))
    assert final.data.commission == -0.84
    unseen = deriver(row(5, lots=0.1))  # opened before the stream was watched: only the closing deal is known
    [closed] = unseen.on_trade(deal("Out", order=6, position=5, type_="Sell", commission=-0.7))
    assert closed.data.commission == -0.7


def test_close_reasons_come_from_the_deal_comment() -> None:
    for comment, reason in (("[sl 1.08000]", "sl"), ("[tp 1.12]", "tp"), ("so: 48.50%/480.00/990.00", "stop_out"),
                            ("", "manual"), ("closed by bot", "manual")):
        events = deriver(row(7))
        [closed] = events.on_trade(deal("Out", order=8, position=7, type_="Sell", comment=comment))
        assert closed.data.reason == reason, comment


def test_a_degraded_deal_leaves_the_money_to_reconciliation() -> None:
    events = deriver(row(7))
    [closed] = events.on_trade(deal("Unknown", order=8, position=7, type_="Sell", degraded=True, profit=0.0))
    assert closed.kind == "order_closed"
    assert not {"profit", "commission", "swap", "reason"} & closed.data.model_fields_set
    fresh = deriver()
    assert fresh.on_trade(deal("Unknown", order=9, position=9, degraded=True)) == []  # an unknown position: opened
    [opened] = fresh.on_positions([row(9)])
    assert opened.kind == "order_opened"


def test_pending_orders_placed_modified_and_cancelled_from_snapshots() -> None:
    events = deriver()
    [placed] = events.on_positions([row(5, "BuyLimit", price=1.09, sl=1.08)])
    assert placed.kind == "order_opened"
    assert fields(placed) == {"id": "5", "symbol": "EURUSD", "type": OrderType.BUY_LIMIT, "volume": 0.1,
                              "price": 1.09, "status": "pending", "sl": 1.08, "tp": None, "account_id": ACC,
                              "time": datetime(2026, 7, 15, 10, 0, tzinfo=UTC)}
    [moved] = events.on_positions([row(5, "BuyLimit", price=1.085, sl=1.08)])
    assert moved.kind == "order_modified" and (moved.data.price, moved.data.sl) == (1.085, 1.08)
    [cancelled] = events.on_positions([])
    assert cancelled.kind == "order_cancelled" and cancelled.data.id == "5"
    assert cancelled.data.type is OrderType.BUY_LIMIT


def test_a_pending_order_that_triggers_is_filled_not_cancelled_in_either_frame_order() -> None:
    deal_first = deriver(row(5, "SellStop", price=1.08))
    assert deal_first.on_trade(deal("In", order=5, position=5, type_="Sell", price=1.0799)) == []
    [filled] = deal_first.on_positions([row(5, "Sell", price=1.0799, sl=1.09)])
    assert filled.kind == "order_filled" and filled.data.type is OrderType.SELL_STOP
    assert (filled.data.price, filled.data.position_id, filled.data.sl) == (1.0799, "5", 1.09)

    snapshot_first = deriver(row(5, "SellStop", price=1.08))
    [filled] = snapshot_first.on_positions([row(5, "Sell", price=1.0799)])
    assert filled.kind == "order_filled" and filled.data.type is OrderType.SELL_STOP
    assert snapshot_first.on_trade(deal("In", order=5, position=5, type_="Sell")) == []


def test_a_netting_fill_with_another_position_ticket_is_not_a_cancellation() -> None:
    events = deriver(row(5, "BuyLimit", price=1.09))
    assert events.on_trade(deal("In", order=5, position=77, price=1.09)) == []
    [filled] = events.on_positions([row(77, price=1.09)])
    assert filled.kind == "order_filled" and (filled.data.id, filled.data.position_id) == ("5", "77")


def test_stops_moved_on_a_position_and_a_stop_limit_becoming_a_limit_are_modifications() -> None:
    events = deriver(row(7, sl=1.09), row(5, "BuyStopLimit", price=1.2))
    changed = events.on_positions([row(7, sl=1.095, tp=1.12), row(5, "BuyLimit", price=1.19)])
    assert [(e.kind, e.data.id) for e in changed] == [("order_modified", "7"), ("order_modified", "5")]
    position, limit = changed
    assert (position.data.sl, position.data.tp, position.data.position_id) == (1.095, 1.12, "7")
    assert (limit.data.type, limit.data.price) == (OrderType.BUY_LIMIT, 1.19)
    cleared = events.on_positions([row(7, sl=0.0, tp=1.12), row(5, "BuyLimit", price=1.19)])
    assert [e.data.sl for e in cleared] == [None]


def test_after_a_reset_the_next_snapshot_is_a_baseline() -> None:
    events = deriver(row(7))
    events.reset()
    assert events.on_positions([row(8), row(5, "BuyLimit", price=1.0)]) == []  # opened during the gap
    assert events.on_trade(deal("In", order=8, position=8)) == []  # already there at the baseline


def test_a_netting_reversal_closes_what_was_open_then_opens_the_rest_the_other_way() -> None:
    events = deriver(row(7, lots=0.1))
    [closed] = events.on_trade(deal("InOut", order=9, position=7, type_="Sell", volume=0.3, price=1.2))
    assert closed.kind == "order_closed" and (closed.data.volume, closed.data.remaining) == (0.1, 0.0)
    assert closed.data.type is OrderType.BUY
    [opened] = events.on_positions([row(7, "Sell", lots=0.2, price=1.2, sl=1.3)])
    assert opened.kind == "order_opened" and opened.data.type is OrderType.SELL
    assert (opened.data.volume, opened.data.sl, opened.data.id) == (0.2, 1.3, "9")
