"""GuardService: the guard's use cases (/guard, evaluation on the stream and after reconciles, the order check)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.account_eval import AccountState
from fxbot.domain.broker import BrokerError
from fxbot.domain.formatting import format_time
from fxbot.domain.instruments import instrument
from fxbot.errors import UserError
from fxbot.guard.actor import ActReport, close_everything
from fxbot.guard.evaluator import evaluate
from fxbot.guard.exposure import exposure_problem
from fxbot.guard.notices import acted_notice, warning_notice
from fxbot.guard.rules import GuardLimits, apply_setting
from fxbot.guard.state import GuardState, Phase, fresh, next_rollover, rolled
from fxbot.guard.store import GuardStore, StoredLimits
from fxbot.notify.outbox import Outbox
from fxbot.services.pretrade import conversion_symbols
from fxbot.services.upstream import account_summary, upstream_call

if TYPE_CHECKING:
    from fxbot.services.brokers import BoundBroker, BrokerProvider
    from fxbot.services.trading_models import PreparedOrder
    from fxbot.storage import Storage

log = logging.getLogger(__name__)
DEFAULT_TIMEZONE = "UTC"
IncidentHook = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class GuardView:
    """What /guard shows for a chat's account."""

    account_id: str
    limits: StoredLimits | None
    state: GuardState | None


class GuardService:
    """Per-account limits set by chat admins; acts once per trading day when a daily limit is crossed."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, outbox: Outbox,
                 clock: Callable[[], datetime], settle_s: float = 1.0) -> None:
        self._storage = storage
        self._brokers = brokers
        self._outbox = outbox
        self._clock = clock
        self.settle_s = settle_s
        self.store = GuardStore(storage.db)
        self._locks: dict[str, asyncio.Lock] = {}
        self.on_incident: IncidentHook | None = None  # (kind, outcome), e.g. the metrics (fxbot.ops.metrics)

    def __repr__(self) -> str:
        return "GuardService()"

    # -- commands ------------------------------------------------------------------------------

    async def account_of(self, chat_id: str) -> tuple[BoundBroker, str]:
        """The chat's bound broker and its account id (the key's first account when none was chosen)."""
        bound = await self._brokers.for_chat(chat_id)
        if bound.account_id is not None:
            return bound, bound.account_id
        async with upstream_call(self._storage, bound.key_id, what="list the key's accounts"):
            accounts = await bound.broker.list_accounts()
        summary = account_summary(accounts, None)
        if summary is None:
            raise UserError("the chat's key reaches no trading account")
        return bound, summary.id

    async def view(self, chat_id: str) -> GuardView:
        _, account_id = await self.account_of(chat_id)
        state = await self.store.state(account_id)
        return GuardView(account_id, await self.store.limits(account_id),
                         None if state is None else rolled(state, self._clock()))

    async def set_limit(self, chat_id: str, user_id: str, words: list[str]) -> tuple[str, GuardLimits]:
        """Apply one `/guard NAME VALUE` to the chat's account (UsageError on bad input: nothing changes)."""
        bound, account_id = await self.account_of(chat_id)
        stored = await self.store.limits(account_id)
        limits = apply_setting(stored.limits if stored else GuardLimits(), words)
        await self.store.set_limits(account_id, bound.key_id, limits, user_id, self._clock())
        if limits.acts:
            await self._note_day_start(bound, account_id)
        return account_id, limits

    async def _note_day_start(self, bound: BoundBroker, account_id: str) -> None:
        """A daily limit set in the middle of a trading day counts from the equity now (when not known yet)."""
        async with self._lock(account_id):
            now = self._clock()
            state = await self.store.state(account_id)
            current = rolled(state, now) if state is not None else fresh(account_id, now)
            if current.day_start_equity is not None:
                return
            async with upstream_call(self._storage, bound.key_id, what="read the account's equity"):
                account = await bound.broker.get_account(account_id=account_id)
            await self.store.save(replace(current, day_start_equity=account.equity, changed_at=now))

    async def turn_off(self, chat_id: str) -> tuple[str, bool]:
        """Remove every limit of the chat's account; a block in force stays (lifting it is /guard unblock)."""
        _, account_id = await self.account_of(chat_id)
        return account_id, await self.store.remove_limits(account_id)

    async def unblock(self, chat_id: str) -> tuple[str, bool]:
        """Lift the account's block now; the rest of the day is measured from the equity at the next update."""
        _, account_id = await self.account_of(chat_id)
        async with self._lock(account_id):
            state = await self.store.state(account_id)
            now = self._clock()
            if state is None or not rolled(state, now).blocking(now) or state.phase is Phase.ACTING:
                return account_id, False
            await self.store.save(replace(state, phase=Phase.ARMED, blocked_until=None, trigger=None,
                                          day_start_equity=None, changed_at=now))
            return account_id, True

    # -- evaluation ----------------------------------------------------------------------------

    async def on_account(self, key_id: int, account_id: str, acc: AccountState, chat_ids: Sequence[str]) -> None:
        """Judge one account state (the stream's account update, or a REST read after a gap); act if due."""
        stored = await self.store.limits(account_id)
        if stored is None or not stored.limits.acts:
            existing = await self.store.state(account_id)
            if existing is None or existing.phase is not Phase.ACTING:
                return
        async with self._lock(account_id):
            now = self._clock()
            state = await self.store.state(account_id)
            if state is not None and state.phase is Phase.ACTING:  # a close-all a restart interrupted
                await self._act(key_id, state, chat_ids, acc.currency, resumed=True)
                return
            if stored is None:
                return
            current = state or fresh(account_id, now)
            verdict = evaluate(stored.limits, current, acc.equity, now, acc.currency)
            if verdict.action == "act":
                if await self.store.claim_acting(verdict.state):
                    await self._act(key_id, verdict.state, chat_ids, acc.currency, resumed=False)
                return
            if verdict.state != state:
                await self.store.save(verdict.state)
            if verdict.action == "warn":
                self._incident("warning", "sent")
                for chat_id in chat_ids:
                    await self._outbox.enqueue(warning_notice(chat_id, account_id, verdict, acc.currency, now))

    async def check_account(self, key_id: int, account_id: str, chat_ids: Sequence[str]) -> None:
        """Read the account over REST and judge it (after a reconnect or a reconcile)."""
        if await self.store.limits(account_id) is None and await self.store.state(account_id) is None:
            return
        broker = await self._brokers.for_key(key_id)
        try:
            account = await broker.get_account(account_id=account_id)
        except BrokerError as exc:
            log.warning("guard: could not read account %s (%s)", account_id, type(exc).__name__)
            return
        await self.on_account(key_id, account_id, AccountState.from_account(account), chat_ids)

    async def resume(self) -> int:
        """At startup: finish every close-all a restart interrupted; how many were resumed."""
        count = 0
        for state in await self.store.acting():
            stored = await self.store.limits(state.account_id)
            if stored is None:
                log.error("guard: account %s was acting but its limits are gone; left blocked", state.account_id)
                continue
            chats = await self.chats_of(stored.key_id, state.account_id)
            async with self._lock(state.account_id):
                current = await self.store.state(state.account_id)
                if current is None or current.phase is not Phase.ACTING:
                    continue
                await self._act(stored.key_id, current, chats, "", resumed=True)
                count += 1
        return count

    async def chats_of(self, key_id: int, account_id: str) -> list[str]:
        """The chats bound to the account (through the key, by id or as the key's first account)."""
        rows = await self._storage.db.fetch_all(
            "SELECT chat_id, account_id FROM chat_bindings WHERE key_id = ? ORDER BY chat_id", (key_id,))
        chats = [str(r["chat_id"]) for r in rows if r["account_id"] == account_id]
        if any(r["account_id"] is None for r in rows):
            try:
                first = account_summary(await (await self._brokers.for_key(key_id)).list_accounts(), None)
            except BrokerError:
                first = None
            if first is not None and first.id == account_id:
                chats += [str(r["chat_id"]) for r in rows if r["account_id"] is None]
        return sorted(set(chats))

    # -- orders --------------------------------------------------------------------------------

    async def check_order(self, prepared: PreparedOrder) -> None:
        """Refuse (UserError, nothing sent) an order on a blocked account or one over an exposure limit."""
        account_id = prepared.card.account_id
        now = self._clock()
        state = await self.store.state(account_id)
        if state is not None and rolled(state, now).blocking(now):
            until = state.blocked_until or next_rollover(now)
            chats = await self.chats_of(prepared.key_id, account_id)
            zone = await self._zone(chats[0]) if len(chats) == 1 else DEFAULT_TIMEZONE
            self._incident("order_refused", "blocked")
            raise UserError(f"blocked by the daily loss guard until {format_time(until, zone)} — nothing was sent; "
                            "closing and reducing positions stays allowed")
        stored = await self.store.limits(account_id)
        if stored is None or stored.limits.empty:
            return
        broker = await self._brokers.for_key(prepared.key_id)
        async with upstream_call(self._storage, prepared.key_id, what="check the guard's exposure limits"):
            positions = await broker.get_positions(account_id=prepared.account_id)
            mids = {prepared.card.symbol: (prepared.card.bid + prepared.card.ask) / 2}
            spec = instrument(prepared.card.symbol)
            for symbol in conversion_symbols(spec.quote if spec else prepared.card.currency, prepared.card.currency):
                quote = await broker.get_quote(symbol, account_id=prepared.account_id)
                mids[symbol] = (quote.bid + quote.ask) / 2
        problem = exposure_problem(stored.limits, prepared.card, positions, mids.get)
        if problem is not None:
            self._incident("order_refused", "exposure")
            raise UserError(f"refused by the account guard: {problem} — nothing was sent")

    # -- internals -----------------------------------------------------------------------------

    def _incident(self, kind: str, outcome: str) -> None:
        if self.on_incident is not None:
            self.on_incident(kind, outcome)

    def _lock(self, account_id: str) -> asyncio.Lock:
        return self._locks.setdefault(account_id, asyncio.Lock())

    async def _zone(self, chat_id: str) -> str:
        return (await self._storage.settings.get(chat_id)).timezone or DEFAULT_TIMEZONE

    async def _act(self, key_id: int, state: GuardState, chat_ids: Sequence[str], currency: str, *,
                   resumed: bool) -> None:
        """Close everything (state already persisted as acting), then block until the next rollover and tell."""
        account_id = state.account_id
        log.warning("guard: %s account %s: %s", "resuming the close-all of" if resumed else "acting on",
                    account_id, state.trigger)
        try:
            broker = await self._brokers.for_key(key_id)
            report = await close_everything(broker, account_id, settle_s=self.settle_s)
        except Exception:  # the key is gone or unreadable: stay acting (blocked), retried at the next evaluation
            log.exception("guard: the close-all of account %s failed; it stays blocked and is retried", account_id)
            self._incident("resumed_close_all" if resumed else "close_all", "failed")
            return
        self._incident("resumed_close_all" if resumed else "close_all", "complete" if report.complete else "incomplete")
        now = self._clock()
        until = next_rollover(state.changed_at)  # a block that ran out during a long restart re-arms at once
        await self.store.save(replace(state, phase=Phase.BLOCKED, blocked_until=until, changed_at=now))
        await self._tell(account_id, state, report, until, chat_ids, currency, resumed)

    async def _tell(self, account_id: str, state: GuardState, report: ActReport, until: datetime,
                    chat_ids: Sequence[str], currency: str, resumed: bool) -> None:
        now = self._clock()
        for chat_id in chat_ids:
            notice = acted_notice(chat_id, account_id, state.trigger or "", state.day_id, report, until,
                                  await self._zone(chat_id), currency, now, resumed=resumed)
            await self._outbox.enqueue(notice)
