"""The SDK face's deal log: MT5-style In/Out deals per account, and round trips assembled from them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Deal:
    """One executed deal. `side` is the deal's own direction (an Out deal of a Buy position is a Sell)."""

    ticket: int
    order: int
    position: int
    account_id: str
    symbol: str  # canonical; the face renders the broker name
    side: str  # "Buy" | "Sell"
    entry: str  # "In" | "Out"
    volume: float
    price: float
    commission: float
    swap: float
    profit: float
    magic: int
    comment: str
    time: datetime  # aware UTC
    reason: str | None = None  # Out deals: manual | sl | tp | stop_out
    trade_id: str | None = None  # Out deals: the engine's trd_ id

    @property
    def net(self) -> float:
        return self.profit + self.commission + self.swap


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """A fully closed position: its In deal and every Out deal (partial closes included)."""

    opening: Deal
    closings: tuple[Deal, ...]

    @property
    def close_time(self) -> datetime:
        return self.closings[-1].time

    @property
    def close_price(self) -> float:
        volume = sum(deal.volume for deal in self.closings)
        weighted = sum(deal.price * deal.volume for deal in self.closings)
        return weighted / volume if volume else self.closings[-1].price

    @property
    def profit(self) -> float:
        return round(sum(deal.profit for deal in self.closings), 2)

    @property
    def swap(self) -> float:
        return round(sum(deal.swap for deal in self.closings), 2)

    @property
    def commission(self) -> float:
        return round(self.opening.commission + sum(deal.commission for deal in self.closings), 2)


@dataclass(slots=True)
class _AccountDeals:
    deals: list[Deal] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    open_volume: dict[int, float] = field(default_factory=dict)  # position ticket -> lots still open


class DealLog:
    """Every deal of every account in time order, with lookups by position and engine trade id."""

    def __init__(self) -> None:
        self._accounts: dict[str, _AccountDeals] = {}
        self._by_trade: dict[str, Deal] = {}
        self._in_by_position: dict[tuple[str, int], Deal] = {}

    def __repr__(self) -> str:
        return f"DealLog(<{sum(len(a.deals) for a in self._accounts.values())} deals>)"

    def add(self, deal: Deal) -> None:
        book = self._accounts.setdefault(deal.account_id, _AccountDeals())
        at = bisect_right(book.times, deal.time)
        book.deals.insert(at, deal)
        book.times.insert(at, deal.time)
        if deal.entry == "In":
            self._in_by_position[(deal.account_id, deal.position)] = deal
            book.open_volume[deal.position] = round(book.open_volume.get(deal.position, 0.0) + deal.volume, 2)
        else:
            left = round(book.open_volume.get(deal.position, 0.0) - deal.volume, 2)
            if left > 0:
                book.open_volume[deal.position] = left
            else:
                book.open_volume.pop(deal.position, None)
        if deal.trade_id is not None:
            self._by_trade[deal.trade_id] = deal

    def deals(self, account_id: str, start: datetime | None = None, end: datetime | None = None) -> list[Deal]:
        """Deals with time in [start, end] (either bound optional), oldest first."""
        book = self._accounts.get(account_id)
        if book is None:
            return []
        lo = 0 if start is None else bisect_left(book.times, start)
        hi = len(book.times) if end is None else bisect_right(book.times, end)
        return book.deals[lo:hi]

    def by_trade(self, trade_id: str) -> Deal | None:
        """The Out deal the engine booked as trade `trade_id`."""
        return self._by_trade.get(trade_id)

    def opening(self, account_id: str, position: int) -> Deal | None:
        """The In deal of a position."""
        return self._in_by_position.get((account_id, position))

    def round_trips(
        self, account_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[RoundTrip]:
        """Positions fully closed with their last Out deal in [start, end], in closing order."""
        book = self._accounts.get(account_id)
        if book is None:
            return []
        closings: dict[int, list[Deal]] = {}
        for deal in book.deals:
            if deal.entry == "Out":
                closings.setdefault(deal.position, []).append(deal)
        trips: list[RoundTrip] = []
        for position, outs in closings.items():
            opening = self._in_by_position.get((account_id, position))
            if opening is None or position in book.open_volume:
                continue
            trip = RoundTrip(opening, tuple(outs))
            if (start is None or trip.close_time >= start) and (end is None or trip.close_time <= end):
                trips.append(trip)
        trips.sort(key=lambda trip: (trip.close_time, trip.opening.position))
        return trips
