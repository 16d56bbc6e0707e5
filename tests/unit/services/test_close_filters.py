"""Filtered and partial closes without I/O, the /close word grammar, and /reverse's legs with a failing broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from fxbot.commands.order_args import CloseRequest, parse_close_words
from fxbot.domain.broker import (
    BrokerError,
    CloseResult,
    OrderRequest,
    OrderResult,
    OrderType,
    OutcomeUnknownError,
    Position,
    RejectedError,
    Side,
)
from fxbot.errors import UsageError
from fxbot.services.close_filters import CloseAmount, CloseFilter, parse_amount, partial_volume
from fxbot.services.risk_sizing import VolumeLimits
from fxbot.services.trading_close import CloseService
from fxbot.services.trading_models import ReversePlan
from fxbot.storage import Storage

TABLE = VolumeLimits(0.01, 0.01, 100)


def _position(pid: str, symbol: str, side: Side, profit: float, *, commission: float = 0.0) -> Position:
    return Position(id=pid, symbol=symbol, type=side, volume=0.1, open_price=1.1, profit=profit,
                    commission=commission, swap=0.0)


POSITIONS = [
    _position("1", "EURUSD", Side.BUY, 12.0),
    _position("2", "EURUSD", Side.SELL, -3.0),
    _position("3", "GBPUSD", Side.BUY, 0.5, commission=-0.7),  # a gross winner, a net loser
]


@pytest.mark.parametrize(("close_filter", "ids"), [
    (CloseFilter(pnl="winners"), ["1"]),
    (CloseFilter(pnl="losers"), ["2", "3"]),
    (CloseFilter(symbol="EURUSD"), ["1", "2"]),
    (CloseFilter(side=Side.BUY), ["1", "3"]),
    (CloseFilter(symbol="EURUSD", pnl="losers"), ["2"]),
    (CloseFilter(symbol="GBPUSD", side=Side.SELL), []),
    (CloseFilter(), ["1", "2", "3"]),
])
def test_filters_match_by_net_pnl_symbol_and_side(close_filter: CloseFilter, ids: list[str]) -> None:
    assert [p.id for p in POSITIONS if close_filter.matches(p)] == ids


@pytest.mark.parametrize(("words", "expected"), [
    (["12345678"], CloseRequest("12345678", "id")),
    (["#12345678", "50%"], CloseRequest("12345678", "id", CloseAmount(percent=50))),
    (["12345678", "0.05"], CloseRequest("12345678", "id", CloseAmount(volume=0.05))),
    (["all"], CloseRequest("all", "all")),
    (["eurusd"], CloseRequest("EURUSD", "symbol")),
    (["EURUSD", "all"], CloseRequest("EURUSD", "symbol")),
    (["losers"], CloseRequest("losers", "filter", close_filter=CloseFilter(pnl="losers"))),
    (["eurusd", "Losers"], CloseRequest("EURUSD losers", "filter",
                                        close_filter=CloseFilter(symbol="EURUSD", pnl="losers"))),
    (["buy", "winners", "gbpusd"], CloseRequest("buy winners GBPUSD", "filter",
                                               close_filter=CloseFilter(symbol="GBPUSD", side=Side.BUY,
                                                                        pnl="winners"))),
])
def test_close_words(words: list[str], expected: CloseRequest) -> None:
    assert parse_close_words(words) == expected


@pytest.mark.parametrize(("words", "reason"), [
    (["buy", "sell"], "buy and sell together"),
    (["EURUSD", "GBPUSD"], "one symbol at a time"),
    (["losers", "0.5"], "only goes with ONE position"),
    (["12345678", "0.1", "0.2"], "one position and one amount"),
    (["12345678", "half"], "not a volume"),
    (["EURUSDD"], "did you mean EURUSD"),
    (["0.05"], "looks like a volume"),
])
def test_bad_close_words_get_the_reason(words: list[str], reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        parse_close_words(words)


def test_percentages() -> None:
    assert parse_amount("50%") == CloseAmount(percent=50)
    assert parse_amount("12.5 %") == CloseAmount(percent=12.5)
    for bad in ("0%", "101%"):
        with pytest.raises(UsageError, match="at most 100%"):
            parse_amount(bad)


def test_partial_volumes() -> None:
    assert partial_volume(0.05, CloseAmount(percent=50), TABLE).volume == 0.02  # rounded down, never up
    assert partial_volume(0.3, CloseAmount(percent=50), TABLE).volume == 0.15
    assert partial_volume(0.3, CloseAmount(percent=100), TABLE).volume is None  # the whole position
    with pytest.raises(UsageError, match="below the minimum volume"):
        partial_volume(0.05, CloseAmount(percent=10), TABLE)
    with pytest.raises(UsageError, match="more than the position's"):
        partial_volume(0.05, CloseAmount(volume=0.06), TABLE)
    # a broker with a 0.10 minimum and a 0.01 step: 0.25 - 0.20 would leave 0.05, so all of it closes
    whole = partial_volume(0.25, CloseAmount(percent=80), VolumeLimits(0.1, 0.01, 100))
    assert whole.volume is None and whole.note is not None and "below the minimum volume 0.1" in whole.note
    kept = partial_volume(0.25, CloseAmount(volume=0.1), VolumeLimits(0.1, 0.01, 100))
    assert kept == (kept.__class__(0.1))


@dataclass
class TwoLegBroker:
    """Closes succeed (or not); opening raises `open_error` when set. Records every write."""

    close_error: BrokerError | None = None
    open_error: BrokerError | None = None
    writes: list[str] = field(default_factory=list)

    async def close_order(self, ref: str, *, volume: float | None = None,
                          account_id: str | None = None) -> CloseResult:
        self.writes.append(f"close {ref}")
        if self.close_error is not None:
            raise self.close_error
        return CloseResult(id=ref, status="closed", close_price=1.1, profit=1.0)

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        self.writes.append(f"open {request.type.value} {request.volume:g}")
        if self.open_error is not None:
            raise self.open_error
        return OrderResult(id="9", symbol=request.symbol, type=request.type, volume=request.volume, price=1.1,
                           status="filled", position_id="9", created_at=datetime(2026, 4, 2, tzinfo=UTC))


@dataclass
class Provider:
    broker: TwoLegBroker

    async def for_key(self, key_id: int) -> Any:
        return self.broker


def _service(storage: Storage, broker: TwoLegBroker) -> CloseService:
    return CloseService(storage=storage, brokers=Provider(broker),  # type: ignore[arg-type]
                        clock=lambda: datetime(2026, 4, 2, tzinfo=UTC))


PLAN = ReversePlan(position=_position("7", "EURUSD", Side.BUY, 1.0), key_id=1, account_id=None, currency="USD")


async def test_reverse_opens_the_opposite_side_with_the_same_volume(storage: Storage) -> None:
    broker = TwoLegBroker()
    outcome = await _service(storage, broker).execute_reverse(PLAN)
    assert outcome.close.ok and outcome.opened is not None and outcome.opened.type is OrderType.SELL
    assert broker.writes == ["close 7", "open SELL 0.1"]


async def test_a_failed_second_leg_is_reported_and_not_resent(storage: Storage) -> None:
    broker = TwoLegBroker(open_error=RejectedError("market closed", code="market_closed"))
    outcome = await _service(storage, broker).execute_reverse(PLAN)
    assert outcome.close.ok and outcome.opened is None and not outcome.open_unknown
    assert outcome.open_error is not None and "market closed" in outcome.open_error
    assert broker.writes == ["close 7", "open SELL 0.1"]


async def test_an_unknown_second_leg_is_reported_and_not_resent(storage: Storage) -> None:
    broker = TwoLegBroker(open_error=OutcomeUnknownError("timeout after sending"))
    outcome = await _service(storage, broker).execute_reverse(PLAN)
    assert outcome.open_unknown and outcome.open_error is not None and "NOT resent" in outcome.open_error
    assert broker.writes == ["close 7", "open SELL 0.1"]


async def test_a_failed_close_opens_nothing(storage: Storage) -> None:
    broker = TwoLegBroker(close_error=RejectedError("no such position", code="not_found"))
    outcome = await _service(storage, broker).execute_reverse(PLAN)
    assert not outcome.close.ok and outcome.opened is None
    assert broker.writes == ["close 7"]


async def test_the_reply_to_a_failed_second_leg_says_the_close_stands(storage: Storage) -> None:
    from fxbot.commands.close_replies import reverse_reply

    broker = TwoLegBroker(open_error=RejectedError("market closed", code="market_closed"))
    outcome = await _service(storage, broker).execute_reverse(PLAN)
    reply = reverse_reply(PLAN, outcome)
    text = "\n".join((reply.title or "", *reply.text))
    assert "closed, but the SELL was not confirmed" in text
    assert "the first leg's close stands; the opening was NOT resent" in text
