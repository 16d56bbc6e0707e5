"""Webhook replay protection on both backends: one statement decides, so simultaneous deliveries of one request
(PostgreSQL runs them on separate connections) are accepted once; a body is accepted again after its window."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fxbot.chat.types import ChatKind, ChatRef
from fxbot.storage import Database
from fxbot.webhooks.store import WebhookStore

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def _endpoint(store: WebhookStore) -> int:
    endpoint, _ = await store.create(name="tv", chat=ChatRef("telegram:1", ChatKind.PRIVATE, "telegram"),
                                     created_by="telegram:1",
                                     creator_name="Ann")
    return endpoint.id


async def test_simultaneous_deliveries_are_accepted_once(database: Database) -> None:
    store = WebhookStore(database, lambda: T0)
    endpoint = await _endpoint(store)
    if database.dialect == "postgresql":  # open the pool's connections first, so the deliveries truly overlap
        await asyncio.gather(*(database.fetch_value("SELECT pg_sleep(0.05)") for _ in range(10)))
    results = await asyncio.gather(*(store.first_time(endpoint, "id:req-1") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]


async def test_a_body_is_new_again_after_its_window_an_id_never(database: Database) -> None:
    now = [T0]
    store = WebhookStore(database, lambda: now[0])
    endpoint = await _endpoint(store)
    window = timedelta(minutes=5)
    assert await store.first_time(endpoint, "body:abc", window=window)
    assert await store.first_time(endpoint, "id:1")
    now[0] = T0 + window - timedelta(microseconds=1)
    assert not await store.first_time(endpoint, "body:abc", window=window)
    now[0] = T0 + window
    assert await store.first_time(endpoint, "body:abc", window=window)
    assert not await store.first_time(endpoint, "body:abc", window=window)
    now[0] = T0 + timedelta(days=400)
    assert not await store.first_time(endpoint, "id:1")
