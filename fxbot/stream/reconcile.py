"""REST reconciliation after a stream (re)connects: quotes, account states, positions and closed trades."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.firing import Firing
from fxbot.alerts.gap_replay import GapBar
from fxbot.domain.broker import Broker, Position, Timeframe, Trade
from fxbot.services.alerts import AlertService
from fxbot.stream.fills import FillNotifier, position_open_event, trade_close_event

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200
GAP_BARS_LIMIT = 1440
RECONCILE_ATTEMPTS = 3  # tries at a REST reconciliation before the session gives up on it


async def reconcile_quotes(
    broker: Broker, alerts: AlertService, symbols_by_account: Mapping[str, set[str]], at: datetime, *,
    deliver: Callable[[list[Firing]], Awaitable[object]] | None = None,
) -> tuple[list[Firing], set[tuple[str, str]]]:
    """Judge every watched symbol "after a gap": the M1 candles since its last judged price, then its current
    REST quote, so a level crossed and left during the outage fires too (once); (firings, pairs judged).

    With `deliver`, each symbol's firings are handed to it as soon as they are judged (a start storm never
    holds every symbol's firings at once) and the firings returned are none."""
    firings: list[Firing] = []
    judged: set[tuple[str, str]] = set()
    quotes: dict[str, tuple[float, float]] = {}
    for account_id, symbols in symbols_by_account.items():
        for symbol in sorted(symbols):
            if symbol not in quotes:
                try:
                    quote = await broker.get_quote(symbol, account_id=account_id)
                except Exception as exc:
                    log.info("stream pump: no REST quote for %s (%s)", symbol, type(exc).__name__)
                    continue
                quotes[symbol] = (quote.bid, quote.ask)
            bid, ask = quotes[symbol]
            bars = await gap_bars(broker, alerts, account_id, symbol)
            fired = alerts.engine.replay_gap(account_id, symbol, bars, bid, ask, at)
            if deliver is not None:
                if fired:
                    await deliver(fired)
            else:
                firings += fired
            judged.add((account_id, symbol))
    return firings, judged


async def gap_bars(broker: Broker, alerts: AlertService, account_id: str, symbol: str) -> list[GapBar]:
    """The M1 candles from the minute of the symbol's last judged price on (at most a day's worth: a longer
    outage is replayed over its last day); none when no price was judged yet or they cannot be read."""
    start = alerts.engine.gap_started(account_id, symbol)
    if start is None:
        return []
    try:
        series = await broker.get_candles(symbol, timeframe=Timeframe.M1, start=start, limit=GAP_BARS_LIMIT,
                                          account_id=account_id)
    except Exception as exc:
        log.info("stream pump: no M1 candles for %s (%s); judged on the current quote only",
                 symbol, type(exc).__name__)
        return []
    return [GapBar(opened_at=c.time, open=c.open, high=c.high, low=c.low, close=c.close) for c in series.candles]


async def reconcile_accounts(broker: Broker, alerts: AlertService, account_ids: Iterable[str], at: datetime
                             ) -> tuple[list[Firing], dict[str, str]]:
    """Judge the account rules on each account's current state; (firings, account -> currency)."""
    firings: list[Firing] = []
    currencies: dict[str, str] = {}
    for account_id in account_ids:
        try:
            account = await broker.get_account(account_id=account_id)
        except Exception as exc:
            log.info("stream pump: could not read account %s (%s)", account_id, type(exc).__name__)
            continue
        currencies[account_id] = account.currency
        firings += alerts.engine.on_account(account_id, AccountState.from_account(account), at)
    return firings, currencies


async def reconcile_fills(
    broker: Broker,
    fills: FillNotifier,
    account_id: str,
    chat_ids: Sequence[str],
    *,
    since: datetime,
    currency: str | None,
    missed_before: datetime | None = None,
) -> list[Position]:
    """Notify (once) positions opened and trades closed since `since`; the open positions.

    Events before `missed_before` (all of them when None) are marked as missed while the bot was not
    connected; later ones happened while the bot was running (its stream still connecting) and are not."""
    positions = await broker.get_positions(account_id=account_id)
    open_ids = {p.id for p in positions}
    for position in positions:
        if position.opened_at is None or position.opened_at < since:
            continue
        event = position_open_event(position, account_id)
        if await _triggered_already(fills, event.account_id, event.id, chat_ids):
            continue
        await fills.notify(event, chat_ids, gap=missed_before is None or position.opened_at < missed_before)
    page = await broker.get_history(start=since, limit=HISTORY_LIMIT, account_id=account_id)
    trades = sorted(page.trades, key=lambda t: t.closed_at)
    final_close = _final_closes(trades, open_ids)
    for trade in trades:
        if trade.closed_at < since:
            continue
        partial = trade.id not in final_close
        remaining = next((p.volume for p in positions if p.id == trade.position_id), None) if partial else None
        event = trade_close_event(trade, account_id, partial=partial, remaining=remaining, currency=currency)
        await fills.notify(event, chat_ids, gap=missed_before is None or trade.closed_at < missed_before)
    return positions


def _final_closes(trades: Sequence[Trade], open_ids: set[str]) -> set[str]:
    """Ids of the trades that closed their position for good (the last one of a position no longer open)."""
    last: dict[str, str] = {}
    for trade in trades:  # oldest first: the last write wins
        last[trade.position_id or trade.id] = trade.id
    return {trade_id for position_id, trade_id in last.items() if position_id not in open_ids}


async def _triggered_already(fills: FillNotifier, account_id: str, order_id: str, chat_ids: Sequence[str]) -> bool:
    """A position from a pending order the stream reported as triggered is not reported again as opened."""
    base = f"fill:{account_id}:{order_id}:pending_triggered"
    for chat_id in chat_ids:
        if await fills.known(base, chat_id):
            return True
    return False
