"""The managed-stop service over real SQLite with a scripted broker: coalescing, every modify outcome, access."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import (
    ModifyResult,
    NotFoundError,
    OrderChanges,
    OutcomeUnknownError,
    Position,
    Quote,
    RejectedError,
    Side,
)
from fxbot.management.rules import ManagedRule, RuleKind, RuleStatus
from fxbot.management.service import ManagementService
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.storage import Storage

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
CHAT = "telegram:-100"
OWNER = "telegram:1"


class ScriptedBroker:
    """modify_order answers from `outcomes` (an exception to raise, or None: done), recording every call."""

    def __init__(self) -> None:
        self.sl: float | None = 1.07500
        self.open = True
        self.calls: list[float | None] = []
        self.outcomes: list[BaseException | None] = []
        self.apply_unknown = False  # an OutcomeUnknownError that did reach the broker
        self.gate: asyncio.Event | None = None
        self.called = asyncio.Event()

    async def modify_order(self, order_id: str, changes: OrderChanges, *, account_id: str | None = None
                           ) -> ModifyResult:
        self.calls.append(changes.sl)
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, OutcomeUnknownError):
            if self.apply_unknown:
                self.sl = changes.sl
            raise outcome
        if outcome is not None:
            raise outcome
        self.sl = changes.sl
        return ModifyResult(id=order_id, sl=changes.sl, updated=True)

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]:
        if not self.open:
            return []
        return [Position(id="pos_1", symbol="EURUSD", type=Side.BUY, volume=0.3, open_price=1.08, sl=self.sl,
                         profit=0.0)]


class Brokers:
    def __init__(self, broker: ScriptedBroker) -> None:
        self.broker = broker

    async def for_key(self, key_id: int) -> ScriptedBroker:
        return self.broker


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "x.db", {}) as opened:
        key = await opened.keys.add(OWNER, "main", "sk_test_management_000000000001", Scope.TRADE)
        await opened.bindings.bind(CHAT, key.id, OWNER, account_id="acc")
        await opened.members.set_role(CHAT, OWNER, Role.TRADER, "Alice")
        yield opened


def service(storage: Storage, broker: ScriptedBroker) -> ManagementService:
    return ManagementService(storage=storage, brokers=cast(Any, Brokers(broker)), outbox=Outbox(storage.db, lambda: T0),
                             preferences=NotificationPreferences(storage.db), clock=lambda: T0)


async def trail(stops: ManagementService, key_id: int = 1) -> ManagedRule:
    return await stops.set_rule(ManagedRule(
        id=0, chat_id=CHAT, owner_id=OWNER, private_chat=False, key_id=key_id, account_id="acc", position_id="pos_1",
        symbol="EURUSD", side=Side.BUY, volume=0.3, entry_points=108_000, kind=RuleKind.TRAIL, created_at=T0,
        distance_points=200, step_points=50, stop_points=107_500))


def quote(bid: float) -> Quote:
    return Quote(symbol="EURUSD", bid=bid, ask=round(bid + 0.00002, 5), time=T0)


async def titles(storage: Storage) -> list[str]:
    items = await Outbox(storage.db, lambda: T0).pending_for(CHAT)
    return [" ".join((i.notification.title, *i.notification.lines)) for i in items]


async def test_a_fast_market_sends_only_the_latest_stop_per_position(storage: Storage) -> None:
    """While a modify is in flight the position's stop is not judged on every quote: once it is answered, the
    latest price gives the one next stop."""
    broker = ScriptedBroker()
    broker.gate = asyncio.Event()  # the first modify hangs while more quotes arrive
    stops = service(storage, broker)
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))
    await asyncio.wait_for(broker.called.wait(), 10)  # the first modify is in flight (and held)
    for bid in (1.08360, 1.08420, 1.08480, 1.08550):
        stops.on_quote(["acc"], quote(bid))
    broker.gate.set()
    await stops.executor.wait_idle()
    assert broker.calls == [1.08100, 1.08350]  # the four later quotes became one modify: the latest stop
    assert [r.stop_points for r in stops.rules_of("acc", "pos_1")] == [108_350]
    assert (await stops.store.all())[0].stop_points == 108_350  # persisted
    assert any("stop → 1.08350 (+35 pips locked)" in t for t in await titles(storage))


async def test_an_unknown_outcome_is_read_back_never_resent(storage: Storage) -> None:
    broker = ScriptedBroker()
    broker.outcomes = [OutcomeUnknownError("timeout after sending")]
    broker.apply_unknown = True
    stops = service(storage, broker)
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    assert broker.calls == [1.08100]  # sent once; the position showed it applied
    assert stops.rules_of("acc", "pos_1")[0].stop_points == 108_100
    assert any("stop → 1.08100" in t for t in await titles(storage))


async def test_an_unknown_outcome_that_did_not_apply_is_judged_again_on_the_next_quote_only(storage: Storage) -> None:
    broker = ScriptedBroker()
    broker.outcomes = [OutcomeUnknownError("timeout")]
    stops = service(storage, broker)
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    assert broker.calls == [1.08100] and stops.rules_of("acc", "pos_1")[0].stop_points == 107_500
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    assert broker.calls == [1.08100, 1.08100] and broker.sl == 1.08100


async def test_a_refused_stop_is_reported_once_and_retried_only_on_improvement(storage: Storage) -> None:
    broker = ScriptedBroker()
    broker.outcomes = [RejectedError("invalid stops"), RejectedError("invalid stops")]
    stops = service(storage, broker)
    await trail(stops)
    for bid in (1.08300, 1.08300, 1.08310, 1.08360):
        stops.on_quote(["acc"], quote(bid))
        await stops.executor.wait_idle()
    # 1.08300 refused; the same again and +1 pip are not tried; 1.08360 (+6 pips) is, refused again: said once
    assert broker.calls == [1.08100, 1.08160]
    refused = [t for t in await titles(storage) if "refused" in t]
    assert len(refused) == 1 and "1.08100" in refused[0]
    stops.on_quote(["acc"], quote(1.08420))  # a full step beyond the refused 1.08160
    await stops.executor.wait_idle()
    assert broker.calls[-1] == 1.08220 and broker.sl == 1.08220
    assert stops.rules_of("acc", "pos_1")[0].failed_points is None


async def test_a_closed_position_drops_its_rules(storage: Storage) -> None:
    broker = ScriptedBroker()
    broker.outcomes = [NotFoundError("no such position")]
    stops = service(storage, broker)
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    assert stops.rules_of("acc", "pos_1") == [] and await stops.store.all() == []


async def test_reconcile_never_touches_a_closed_position_and_applies_a_gap_once(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await trail(stops)

    class Rest(ScriptedBroker):
        async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
            return quote(1.08500)

    rest = Rest()
    positions = await broker.get_positions()
    await stops.reconcile(cast(Any, rest), 1, "acc", positions)
    await stops.reconcile(cast(Any, rest), 1, "acc", positions)  # a second reconcile finds nothing more to do
    await stops.executor.wait_idle()
    assert broker.calls == [1.08300]
    await stops.reconcile(cast(Any, rest), 1, "acc", [])  # the position closed during the gap
    assert stops.rules_of("acc", "pos_1") == [] and broker.calls == [1.08300]


async def test_access_is_rechecked_when_acting_and_the_rule_suspended_once(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await trail(stops)
    await storage.members.set_role(CHAT, OWNER, Role.VIEWER, "Alice")
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    stops.on_quote(["acc"], quote(1.08400))
    await stops.executor.wait_idle()
    assert broker.calls == []
    assert (await stops.store.all())[0].status is RuleStatus.SUSPENDED
    suspended = [t for t in await titles(storage) if "suspended" in t]
    assert len(suspended) == 1 and "no longer a trader" in suspended[0]


async def test_a_read_only_key_suspends_the_rule(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await trail(stops)
    await storage.keys.set_scope(1, Scope.READ_ONLY)
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    assert broker.calls == [] and "no longer allows trading" in (await titles(storage))[0]


async def test_silent_and_off_preferences(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await NotificationPreferences(storage.db).set(CHAT, "trail", "silent")
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    items = await Outbox(storage.db, lambda: T0).pending_for(CHAT)
    assert len(items) == 1 and items[0].notification.silent
    await NotificationPreferences(storage.db).set(CHAT, "trail", "off")
    stops.on_quote(["acc"], quote(1.08400))
    await stops.executor.wait_idle()
    assert broker.sl == 1.08200 and len(await Outbox(storage.db, lambda: T0).pending_for(CHAT)) == 1


async def test_a_queued_stop_is_worked_out_again_from_the_latest_price_when_sent(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))  # queued at 1.08100; before it is sent the price goes on
    stops.on_quote(["acc"], quote(1.08500))
    await stops.executor.wait_idle()
    assert broker.calls == [1.08300] and stops.evaluated == 2  # one modify, at the latest price's stop


async def test_a_queued_stop_goes_only_as_far_as_the_price_allows_when_sent(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))  # best 1.08300: stop 1.08100 queued
    stops.on_quote(["acc"], quote(1.08050))  # back under it before it was sent
    await stops.executor.wait_idle()
    assert broker.calls == [1.08049]  # never above the price: as close as the broker allows (1 point here)


async def test_a_queued_stop_is_dropped_when_the_price_went_back_too_far(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await trail(stops)
    stops.on_quote(["acc"], quote(1.08300))  # stop 1.08100 queued
    stops.on_quote(["acc"], quote(1.07540))  # the clamped stop would not clear 1.07500 by a step (50 points)
    await stops.executor.wait_idle()
    assert broker.calls == []
    stops.on_quote(["acc"], quote(1.08300))  # judged again from the heap once the price is back
    await stops.executor.wait_idle()
    assert broker.calls == [1.08100]


async def test_a_stop_tightened_by_hand_is_never_moved_back(storage: Storage) -> None:
    broker = ScriptedBroker()
    stops = service(storage, broker)
    await trail(stops)
    stops.stop_changed("acc", "pos_1", 1.08250)  # the trader moved it up with /modify (an order_modified event)
    stops.on_quote(["acc"], quote(1.08400))  # the trail wants 1.08200: behind the stop, so nothing is sent
    await stops.executor.wait_idle()
    assert broker.calls == []
    stops.on_quote(["acc"], quote(1.08510))  # 1.08310: a step beyond the hand-set stop
    await stops.executor.wait_idle()
    assert broker.calls == [1.08310]


async def test_rescheduling_many_times_keeps_the_heaps_small(storage: Storage) -> None:
    stops = service(storage, ScriptedBroker())
    await trail(stops)
    for i in range(2_000):
        stops.stop_changed("acc", "pos_1", round(1.07000 + i * 0.00001, 5))
    assert sum(len(heap) for heap in stops._due.values()) <= 4 + 64 + 1


async def test_a_worker_judges_only_the_stops_of_the_keys_it_holds(storage: Storage) -> None:
    """With several workers each moves the stops of the keys whose partitions it holds: a position reachable through
    keys held by two workers has one process moving its stop. When partitions move, the stops are loaded again."""
    broker = ScriptedBroker()
    stops = service(storage, broker)
    held = {2}
    stops.key_filter = held.__contains__
    await trail(stops, key_id=1)
    stops.on_quote(["acc"], quote(1.08300))  # reached, but key 1 is another worker's
    await stops.executor.wait_idle()
    assert broker.calls == [] and stops.evaluated == 0
    held.add(1)  # this worker takes key 1's partition over
    await stops.load()
    stops.on_quote(["acc"], quote(1.08300))
    await stops.executor.wait_idle()
    assert broker.calls == [1.08100]
