"""Quotes of a stream session: each judged by the alert engine for its accounts, the firings handed to the writer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.firing import Firing
from fxbot.domain.broker import QuoteEvent
from fxbot.services.alerts import AlertService
from fxbot.stream.firing_chunks import deliver_in_chunks
from fxbot.stream.firing_writer import FiringWriter
from fxbot.stream.observer import StreamObserver
from fxbot.stream.stop_manager import StopManager

if TYPE_CHECKING:
    from fxbot.stream.accounts import SessionAccounts


class QuoteFirings:
    """The session's quote side: a quote judged for the accounts it concerns (the engine's hot path), its firings
    handed in order to the writer that persists them in bursts; firings judged elsewhere persisted in chunks."""

    observer: StreamObserver | None
    manager: StopManager | None
    firings_chunk: int
    _alerts: AlertService
    _clock: Callable[[], datetime]
    _acc: SessionAccounts
    _gap: set[tuple[str, str]]
    _writer: FiringWriter

    if TYPE_CHECKING:
        async def sync_subscriptions(self) -> None: ...

    async def _on_quote(self, event: QuoteEvent) -> None:
        quote = event.quote
        at = self._clock()
        firings = []
        # A price for one account (terminal backends) judges that account's rules only; a price the key
        # gives every account alike (`account_id` None: the /v1 API) judges them all.
        accounts = list(self._acc.chats) if event.account_id is None else (
            [event.account_id] if event.account_id in self._acc.chats else [])
        for account_id in accounts:
            gap = (account_id, quote.symbol) in self._gap
            if gap:
                self._gap.discard((account_id, quote.symbol))
            firings += self._alerts.engine.on_quote(account_id, quote.symbol, quote.bid, quote.ask, at,
                                                    after_gap=gap)
        if accounts and self.observer is not None:
            self.observer.quotes_evaluated()
        if accounts and self.manager is not None:
            self.manager.on_quote(accounts, quote)
        if firings:
            await self._hand_over(firings)

    async def _hand_over(self, firings: list[Firing]) -> None:
        """Hand a quote's firings to the writer in chunks (FIRINGS_CHUNK), in order, yielding the loop between two;
        the list is emptied as it goes, so what is written is freed while the rest waits. Each written burst
        is one transaction (outbox rows and fire states): a crash loses only what no transaction stored, and
        those rules fire again from their stored state."""
        chunk = max(1, self.firings_chunk)
        if len(firings) <= chunk:
            await self._writer.submit(firings)
            return
        firings.reverse()  # taken from the end: each chunk leaves the list without moving the rest
        while firings:
            part = firings[-chunk:]
            del firings[-chunk:]
            part.reverse()
            await self._writer.submit(part)
            if firings:
                await asyncio.sleep(0)  # the ops endpoint, the chats and the writer run between two chunks

    async def _deliver_chunked(self, firings: list[Firing]) -> int:
        """Persist firings judged outside the quote stream (a reconnect's catch-up) in chunks (FIRINGS_CHUNK)."""
        return await deliver_in_chunks(self._alerts.deliver, firings, self.firings_chunk)

    async def _after_written(self, firings: list[Firing]) -> None:
        if any(f.state.done or f.state.paused for f in firings):
            await self.sync_subscriptions()  # a symbol may have no live rule left
