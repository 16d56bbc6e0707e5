"""Two worker processes (two connections to one database) firing or recovering the same alert orders at once:
each order is claimed by one of them only — an order is never placed twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from fxbot.alerts.order_store import AlertOrder, AlertOrderStore
from fxbot.storage.open_database import open_database

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ORDERS = 40


async def test_each_alert_order_is_claimed_once_by_concurrent_processes(database_url: str) -> None:
    location = database_url if database_url.startswith("postgresql://") else Path(database_url)
    first, second = await open_database(location), await open_database(location)
    try:
        stores = [AlertOrderStore(first, lambda: T0), AlertOrderStore(second, lambda: T0)]
        for rule_id in range(1, ORDERS + 1):
            await stores[0].add(AlertOrder(rule_id=rule_id, group_id=None, chat_id="telegram:-1", thread_id=None,
                                           user_id="telegram:42", user_name="Ann", command="/buy EURUSD 0.1",
                                           state="pending"))
        claims = await asyncio.gather(*(store.claim(rule_id) for rule_id in range(1, ORDERS + 1)
                                        for store in stores))
        won = sorted(claim[0].rule_id for claim in claims if claim is not None)
        assert won == list(range(1, ORDERS + 1))  # every order once: none twice, none lost
        assert await stores[1].pending() == []
    finally:
        await second.close()
        await first.close()


async def test_the_pending_orders_among_fired_rules_are_found_in_one_read_on_both_backends(database_url: str) -> None:
    location = database_url if database_url.startswith("postgresql://") else Path(database_url)
    db = await open_database(location)
    try:
        store = AlertOrderStore(db, lambda: T0)
        for rule_id in (3, 700, 1_201):  # beyond one statement's 500 ids
            await store.add(AlertOrder(rule_id=rule_id, group_id=None, chat_id="telegram:-1", thread_id=None,
                                       user_id="telegram:42", user_name="Ann", command="/buy EURUSD 0.1",
                                       state="pending"))
        fired = [1_300, *range(1, 1_250), 3]  # every rule fired, one of them told twice, not in id order
        assert await store.pending_among(fired) == [3, 700, 1_201]  # in the order told, each once
        assert await store.claim(700) is not None
        assert await store.pending_among(fired) == [3, 1_201]  # a claimed order is no longer pending
        assert await store.pending_among([]) == [] and await store.pending_among([9, 10]) == []
    finally:
        await db.close()
