"""The guard's close-all: close every position and cancel every pending order of one account, with care.

A close whose outcome is unknown (a timeout after sending) is never resent blindly: the account is read
again after a pause, and only what is still open then is closed again. Each pass reads the account
afresh, so a position closed by an earlier pass (or before a restart) is never closed twice.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from fxbot.domain.broker import Broker, BrokerError, OutcomeUnknownError, display_id
from fxbot.domain.formatting import format_volume

log = logging.getLogger(__name__)

PASSES = 3


@dataclass(slots=True)
class ActReport:
    """What the close-all did: lines for the chats, and what is still open after the last pass."""

    closed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    realized: float = 0.0
    still_open: list[str] = field(default_factory=list)
    read_failed: bool = False

    @property
    def complete(self) -> bool:
        return not self.still_open and not self.read_failed


async def close_everything(broker: Broker, account_id: str | None, *, settle_s: float = 1.0,
                           passes: int = PASSES) -> ActReport:
    """Close all positions and cancel all pending orders of the account in up to `passes` passes; a last
    reading tells what is still open."""
    report = ActReport()
    failures: dict[str, str] = {}
    for number in range(passes + 1):
        try:
            positions, orders = await asyncio.gather(broker.get_positions(account_id=account_id),
                                                     broker.get_orders(account_id=account_id))
        except BrokerError as exc:
            log.warning("guard: could not read account %s for the close-all (%s)", account_id, type(exc).__name__)
            report.read_failed = True
            if number < passes:
                await asyncio.sleep(settle_s)
            continue
        report.read_failed = False
        open_ids = {p.id for p in positions} | {o.id for o in orders}
        failures = {k: v for k, v in failures.items() if k in open_ids}  # gone since: closed after all
        report.still_open = ([_label(p.type.value, p.volume, p.symbol, p.id) for p in positions]
                             + [_label(o.type.value, o.volume, o.symbol, o.id) for o in orders])
        if not open_ids or number == passes:
            break
        unsure = False
        for order in orders:
            label = _label(order.type.value, order.volume, order.symbol, order.id)
            try:
                await broker.close_order(order.id, account_id=account_id)
                report.cancelled.append(label)
            except OutcomeUnknownError:
                unsure = True
            except BrokerError as exc:
                failures[order.id] = f"{label}: {exc}"
        for position in positions:
            label = _label(position.type.value, position.volume, position.symbol, position.id)
            try:
                result = await broker.close_order(position.id, account_id=account_id)
                profit = result.profit if result.profit is not None else position.profit
                report.realized += profit
                report.closed.append(f"{label}: {profit:+,.2f}")
            except OutcomeUnknownError:
                unsure = True  # never resent as such: the next pass reads the account again first
            except BrokerError as exc:
                failures[position.id] = f"{label}: {exc}"
        if unsure or failures:
            await asyncio.sleep(settle_s)  # let an uncertain close settle before the account is read again
    report.failures = list(failures.values())
    return report


def _label(kind: str, volume: float, symbol: str, ref: str) -> str:
    return f"{kind} {format_volume(volume)} {symbol} {display_id(ref)}"
