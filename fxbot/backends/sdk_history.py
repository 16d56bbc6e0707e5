"""Closed trades from a MetaTrader account's deal history: one trade per closing deal, paired with its opening deal.

MT5 reports deals (`/OrderHistory`): an `In` deal opens a position, each `Out` deal closes some or all of
it, and both carry the position's ticket (`position`). A closing deal becomes one `Trade`: its side is
the position's (the opposite of the closing deal's own direction), its open price and time are the
`In` deal's, and its commission includes the opening commission's share of the closed volume (so
profit + commission + swap is the trade's net result). Why it closed is not on the wire: the terminal's
comment on the closing deal tells (`[sl …]`, `[tp …]`, `so: …`), anything else is `manual`.
MT4 bridges that report one row per closed order (no `In` rows) use `/PositionHistory` round trips.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fxsocket.models import HistoryTrade, PositionTrade

from fxbot.backends.sdk_mapping import side
from fxbot.backends.sdk_symbols import SymbolMap
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker.enums import Side
from fxbot.domain.broker.models import HistoryPage, Trade
from fxbot.domain.broker.tickets import ticket_id

CLOSING_ENTRIES = frozenset({"out", "inout", "outby"})
DEFAULT_LIMIT = 100  # the `/v1` API's page size when none is asked for


def is_closing(row: HistoryTrade) -> bool:
    return row.entry.strip().lower() in CLOSING_ENTRIES


def is_opening(row: HistoryTrade) -> bool:
    return row.entry.strip().lower() == "in"


def close_reason(comment: str) -> str:
    """`sl`, `tp`, `stop_out` or `manual` from a closing deal's comment (MT5 `[sl 1.08]`, MT4 `[sl]`, `so: 45%…`)."""
    text = comment.strip().lower()
    if text.startswith(("[sl", "sl:", "sl ")) or text == "sl" or "stop loss" in text:
        return "sl"
    if text.startswith(("[tp", "tp:", "tp ")) or text == "tp" or "take profit" in text:
        return "tp"
    if text.startswith(("so:", "[so", "so ")) or "stop out" in text or "stopout" in text or "stop-out" in text:
        return "stop_out"
    return "manual"


def openings_by_position(rows: Iterable[HistoryTrade]) -> dict[int, HistoryTrade]:
    """The first `In` deal of each position (position 0, from old bridges, pairs with nothing)."""
    found: dict[int, HistoryTrade] = {}
    for row in rows:
        if is_opening(row) and row.position:
            found.setdefault(row.position, row)
    return found


def trade_of_deal(row: HistoryTrade, opening: HistoryTrade | None, symbols: SymbolMap, clock: BrokerClock) -> Trade:
    """The trade a closing deal made (`opening`: the position's `In` deal when known)."""
    commission = row.commission
    if opening is not None and opening.volume > 0:
        commission += opening.commission * min(row.volume / opening.volume, 1.0)
    position = ticket_id(row.position) if row.position else None
    return Trade(
        id=ticket_id(row.ticket), symbol=symbols.canonical(row.symbol), type=side(row.type).opposite,
        volume=row.volume, profit=row.profit, closed_at=clock.parse(row.time), commission=round(commission, 2),
        swap=row.swap, open_price=opening.price if opening is not None else None, close_price=row.price,
        opened_at=clock.parse(opening.time) if opening is not None else None, order_id=position,
        position_id=position, reason=close_reason(row.comment),
    )


def trades_from_deals(rows: Sequence[HistoryTrade], symbols: SymbolMap, clock: BrokerClock,
                      earlier: Iterable[HistoryTrade] = ()) -> list[Trade]:
    """Every closing deal of `rows` as a trade, newest first; `earlier` deals only help pair openings."""
    openings = openings_by_position([*earlier, *rows])
    trades = [trade_of_deal(row, openings.get(row.position), symbols, clock) for row in rows if is_closing(row)]
    return newest_first(trades)


def unpaired_positions(rows: Sequence[HistoryTrade]) -> set[int]:
    """Positions closed in `rows` whose opening deal is not among them (it lies before the window)."""
    openings = openings_by_position(rows)
    return {row.position for row in rows if is_closing(row) and row.position and row.position not in openings}


def trade_of_round_trip(row: PositionTrade, symbols: SymbolMap, clock: BrokerClock) -> Trade:
    """A closed position from `/PositionHistory` (MT4 bridges without deal rows)."""
    position = ticket_id(row.position_id)
    return Trade(
        id=position, symbol=symbols.canonical(row.symbol), type=side(row.type), volume=row.volume,
        profit=row.profit, closed_at=clock.parse(row.close_time), commission=row.commission, swap=row.swap,
        open_price=row.open_price, close_price=row.close_price, opened_at=clock.parse(row.open_time),
        order_id=position, position_id=position, reason=close_reason(row.comment),
    )


def newest_first(trades: Iterable[Trade]) -> list[Trade]:
    return sorted(trades, key=lambda t: (t.closed_at, int(t.id) if t.id.isdigit() else 0), reverse=True)


def page(trades: Sequence[Trade], *, symbol: str | None, side_filter: Side | None, limit: int | None,
         offset: int | None) -> HistoryPage:
    """The `/v1`-style page: filtered by canonical symbol and side, newest first, `total` counting all matches."""
    wanted = symbol.strip().upper() if symbol else None
    matching = [t for t in trades if (wanted is None or t.symbol.upper() == wanted)
                and (side_filter is None or t.type is side_filter)]
    start = max(offset or 0, 0)
    count = DEFAULT_LIMIT if limit is None else max(limit, 0)
    return HistoryPage(trades=matching[start:start + count], total=len(matching))
