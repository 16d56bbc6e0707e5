"""LISTEN for the PostgreSQL gateway: one dedicated connection, callbacks per channel, re-established if lost.

The connection is not from the pool (a pooled one is reset on release, which would drop its LISTENs). When it
drops (server restart, network, pg_terminate_backend) it is re-established in the background with backoff up
to 5 s, every channel is listened to again, and every callback is told RECONNECT_PAYLOAD ("*reconnect*"):
notifications sent meanwhile were missed, so listeners re-read what they cache.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import asyncpg

from fxbot.storage.database import RECONNECT_PAYLOAD, Listener, ListenerSet, Unlisten
from fxbot.storage.errors import DatabaseClosedError, DatabaseUnavailableError

logger = logging.getLogger(__name__)

RECONNECT_FIRST_DELAY_S = 0.1
RECONNECT_MAX_DELAY_S = 5.0
APPLICATION_NAME = "fxbot listen"  # shown in pg_stat_activity


class PostgresListener:
    """The listening side of one PostgresDatabase (its `listen`); `close()` ends it for good."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._listeners = ListenerSet()
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._reconnect_task: asyncio.Task[None] | None = None
        self._closed = False

    async def listen(self, channel: str, callback: Listener) -> Unlisten:
        async with self._lock:
            first = self._listeners.add(channel, callback)
            try:
                conn = await self._connection()
                if first:
                    await conn.add_listener(channel, self._on_notification)
            except BaseException:
                self._listeners.remove(channel, callback)
                raise

        async def unlisten() -> None:
            async with self._lock:
                if self._listeners.remove(channel, callback) and self._conn is not None:
                    # a connection that is gone has nothing to remove; the reconnect skips this channel
                    with suppress(asyncpg.InterfaceError, asyncpg.PostgresError, OSError):
                        await self._conn.remove_listener(channel, self._on_notification)

        return unlisten

    async def close(self) -> None:
        self._closed = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.remove_termination_listener(self._on_lost)
            await conn.close()

    async def _connection(self) -> asyncpg.Connection:
        if self._closed:
            raise DatabaseClosedError("the database is closed")
        if self._conn is None or self._conn.is_closed():
            try:
                conn = await asyncpg.connect(dsn=self._url, server_settings={"application_name": APPLICATION_NAME})
            except (OSError, asyncpg.PostgresError) as exc:
                raise DatabaseUnavailableError(f"the PostgreSQL server is unavailable: {exc}") from exc
            conn.add_termination_listener(self._on_lost)
            self._conn = conn
        return self._conn

    def _on_notification(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        self._listeners.deliver(channel, payload)

    def _on_lost(self, conn: object) -> None:
        if self._closed or conn is not self._conn:
            return
        logger.warning("the PostgreSQL listening connection dropped; re-establishing it")
        self._conn = None
        if self._reconnect_task is None or self._reconnect_task.done():
            self._reconnect_task = asyncio.get_running_loop().create_task(self._relisten())

    async def _relisten(self) -> None:
        delay = RECONNECT_FIRST_DELAY_S
        while not self._closed:
            try:
                async with self._lock:
                    conn = await self._connection()
                    for channel in self._listeners.channels():
                        await conn.add_listener(channel, self._on_notification)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, DatabaseUnavailableError) as exc:
                logger.warning("listening connection not back yet (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_DELAY_S)
                continue
            except DatabaseClosedError:
                return
            logger.info("the PostgreSQL listening connection is back")
            self._listeners.deliver_all(RECONNECT_PAYLOAD)
            return
