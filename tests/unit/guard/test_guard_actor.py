"""The guard's close-all against a fake broker: an unknown outcome is never resent blindly; what is still open
after a re-read is retried; failures are reported."""

from __future__ import annotations

from datetime import UTC, datetime

from fxbot.domain.broker import (
    CloseResult,
    OrderType,
    OutcomeUnknownError,
    PendingOrder,
    Position,
    RejectedError,
    Side,
)
from fxbot.guard.actor import close_everything


def _position(ref: str) -> Position:
    return Position(id=ref, symbol="EURUSD", type=Side.BUY, volume=0.1, open_price=1.1, profit=-5.0,
                    opened_at=datetime(2026, 4, 2, tzinfo=UTC))


class FakeBroker:
    """Positions and pending orders in memory; `script` says what each close of an id does, in turn."""

    def __init__(self, positions: list[str], orders: list[str], script: dict[str, list[str]]) -> None:
        self.positions = {p: _position(p) for p in positions}
        self.orders = {o: PendingOrder(id=o, symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.1, price=1.0)
                       for o in orders}
        self.script = script
        self.closes: list[str] = []

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]:
        return list(self.positions.values())

    async def get_orders(self, *, account_id: str | None = None) -> list[PendingOrder]:
        return list(self.orders.values())

    async def close_order(self, order_id: str, *, volume: float | None = None,
                          account_id: str | None = None) -> CloseResult:
        self.closes.append(order_id)
        planned = self.script.get(order_id)
        outcome = planned.pop(0) if planned else "ok"
        if outcome in ("ok", "unknown-done"):
            self.positions.pop(order_id, None)
            self.orders.pop(order_id, None)
        if outcome.startswith("unknown"):
            raise OutcomeUnknownError("timed out after sending")
        if outcome == "reject":
            raise RejectedError("market closed", code="market_closed")
        return CloseResult(id=order_id, status="closed", profit=-5.0)


async def test_an_unknown_outcome_that_did_close_is_not_sent_again() -> None:
    broker = FakeBroker(["p1", "p2"], ["o1"], {"p1": ["unknown-done"]})
    report = await close_everything(broker, "acc", settle_s=0.0)  # type: ignore[arg-type]
    assert broker.closes.count("p1") == 1 and broker.closes.count("p2") == 1 and broker.closes.count("o1") == 1
    assert report.complete and not report.failures and len(report.cancelled) == 1


async def test_what_is_still_open_after_a_re_read_is_retried_and_lasting_failures_reported() -> None:
    broker = FakeBroker(["p1", "p2"], [], {"p1": ["unknown-open"], "p2": ["reject", "reject", "reject"]})
    report = await close_everything(broker, "acc", settle_s=0.0, passes=3)  # type: ignore[arg-type]
    assert broker.closes.count("p1") == 2  # read again, still open: closed again
    assert broker.closes.count("p2") == 3
    assert not report.complete and len(report.still_open) == 1 and "p2" in report.still_open[0]
    assert report.failures and "market closed" in report.failures[0]
    assert any(line.startswith("BUY 0.10 EURUSD p1") or "p1" in line for line in report.closed)


async def test_nothing_open_closes_nothing() -> None:
    broker = FakeBroker([], [], {})
    report = await close_everything(broker, "acc", settle_s=0.0)  # type: ignore[arg-type]
    assert report.complete and broker.closes == [] and not report.closed
