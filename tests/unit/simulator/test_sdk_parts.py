"""Pure parts of the simulator's SDK face: broker time across DST, symbol names, tickets, deals, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fxbot.simulator.sdk_deals import Deal, DealLog
from fxbot.simulator.sdk_errors import SdkError
from fxbot.simulator.sdk_idempotency import IdempotencyStore
from fxbot.simulator.sdk_symbols import SymbolNames, base_matches
from fxbot.simulator.sdk_tickets import TicketBook
from fxbot.simulator.sdk_time import BrokerClock, BrokerTimeError
from tests.fakes.clocks import ManualClock


@pytest.mark.parametrize(
    ("moment", "hours"),
    [
        (datetime(2026, 1, 15, 12, tzinfo=UTC), 2),  # New York on standard time
        (datetime(2026, 7, 15, 12, tzinfo=UTC), 3),  # New York on summer time
        (datetime(2026, 3, 8, 6, 59, tzinfo=UTC), 2),  # a minute before New York springs forward
        (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), 3),
        (datetime(2026, 11, 1, 5, 59, tzinfo=UTC), 3),  # a minute before New York falls back
        (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), 2),
    ],
)
def test_default_offset_follows_new_york_dst(moment: datetime, hours: int) -> None:
    assert BrokerClock().offset_s(moment) == hours * 3600


def test_rollover_is_the_servers_midnight_all_year() -> None:
    clock = BrokerClock()
    for rollover in (datetime(2026, 1, 15, 22, tzinfo=UTC), datetime(2026, 7, 15, 21, tzinfo=UTC)):  # 17:00 NY
        assert clock.render(rollover) == rollover.strftime("%Y-%m-") + "16T00:00:00.000Z"


def test_render_and_parse_round_trip_with_a_fixed_offset() -> None:
    clock = BrokerClock(fixed_offset_h=-5)
    moment = datetime(2026, 4, 2, 14, 30, 5, 123000, tzinfo=UTC)
    text = clock.render(moment)
    assert text == "2026-04-02T09:30:05.123Z"  # the Z is cosmetic: this is server time
    assert clock.parse(text) == moment
    assert clock.parse("2026-04-02T09:30:05.123") == moment
    assert clock.parse("2026-04-02T14:30:05.123+00:00") == moment  # an explicit offset is honoured
    assert clock.parse("2026-04-02") == datetime(2026, 4, 2, 5, tzinfo=UTC)  # the server's midnight
    with pytest.raises(BrokerTimeError):
        clock.parse("yesterday")


def test_parse_of_server_times_around_a_dst_change() -> None:
    clock = BrokerClock()
    for moment in (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)):
        assert clock.parse(clock.render(moment)) == moment


def test_symbol_names_with_a_suffix_are_exact() -> None:
    names = SymbolNames("m")
    assert names.broker("EURUSD") == "EURUSDm" and names.canonical("EURUSDm") == "EURUSD"
    assert names.canonical("EURUSD") is None and names.canonical("eurusdm") is None
    assert SymbolNames().canonical("XAUUSD") == "XAUUSD" and len(SymbolNames(".sd").all()) == 13


@pytest.mark.parametrize(
    ("selector", "name", "matches"),
    [("EURUSD", "EURUSDm", True), ("EURUSD", "EURUSD.sd", True), ("EURUSDm", "EURUSD", True),
     ("EUR", "EURUSD", False), ("EURUSD", "EURUSDabc", False), ("EURUSD", "EURUSD", True)],
)  # fmt: skip
def test_base_symbol_match(selector: str, name: str, matches: bool) -> None:
    assert base_matches(selector, name) is matches


def test_tickets_are_a_bijection_and_never_reused_after_a_reset() -> None:
    book = TicketBook()
    first = book.order("ord_a")
    assert book.order("ord_a") == first and book.engine_id(first) == "ord_a" and book.order("ord_b") == first + 1
    deal = book.new_deal()
    assert deal != first and book.new_deal() == deal + 1
    book.forget_ids()
    assert book.engine_id(first) is None and book.order("ord_a") > first + 1


def _deal(ticket: int, entry: str, volume: float, price: float, at: int, profit: float = 0.0) -> Deal:
    start = datetime(2026, 4, 1, tzinfo=UTC)
    return Deal(ticket=ticket, order=ticket, position=7, account_id="acc", symbol="EURUSD",
                side="Buy" if entry == "In" else "Sell", entry=entry, volume=volume, price=price,
                commission=-0.35 * volume * 10, swap=0.0, profit=profit, magic=1, comment="",
                time=start + timedelta(minutes=at))  # fmt: skip


def test_round_trip_only_once_the_position_is_fully_closed() -> None:
    log = DealLog()
    log.add(_deal(1, "In", 0.3, 1.1, 0))
    log.add(_deal(2, "Out", 0.1, 1.2, 10, profit=10.0))
    assert log.round_trips("acc") == []
    log.add(_deal(3, "Out", 0.2, 1.0, 20, profit=-20.0))
    [trip] = log.round_trips("acc")
    assert trip.opening.ticket == 1 and trip.profit == -10.0
    assert trip.close_price == pytest.approx((1.2 * 0.1 + 1.0 * 0.2) / 0.3)
    assert [d.ticket for d in log.deals("acc", trip.opening.time + timedelta(minutes=5))] == [2, 3]


def test_idempotency_replay_reuse_in_flight_and_expiry() -> None:
    clock = ManualClock()
    store = IdempotencyStore(clock=clock)
    assert store.begin("me", "k", "body-1") is None
    with pytest.raises(SdkError) as running:
        store.begin("me", "k", "body-1")
    assert (running.value.status, running.value.code) == (409, "idempotency_in_flight")
    store.finish("me", "k", {"batch_id": "b"})
    assert store.begin("me", "k", "body-1") == {"batch_id": "b", "idempotent_replay": True}
    with pytest.raises(SdkError) as reused:
        store.begin("me", "k", "body-2")
    assert (reused.value.status, reused.value.code) == (422, "idempotency_key_reused")
    assert store.begin("someone else", "k", "body-2") is None  # keys are per API key
    clock.advance(15 * 60 + 1)
    assert store.begin("me", "k", "body-2") is None  # forgotten after 15 minutes
