"""Alerts that trade: `/alert … then ORDER` stores the order beside the alert; when the alert fires the order runs
once, as the person who set it, through the dispatcher (access re-checked then; the chat's confirmation policy
applies), and a one-cancels-other partner is deleted. Pending orders of alerts that fired while the bot was down
run at start-up; never twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.order_spec import ORDER_COMMANDS, OrderSpecError, parse_order_legs
from fxbot.alerts.order_store import AlertOrder, AlertOrderStore
from fxbot.chat.adapter import CommandHandlerPort
from fxbot.chat.command_scope import access_writes
from fxbot.chat.context import ChatContextResolver
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import ChatKind, ChatRef, ChatUser, IncomingCommand, Reply, ReplyKind
from fxbot.errors import AccessDenied, UsageError, UserError
from fxbot.webhooks.runner import Post, Refused, check_line, spec_table

if TYPE_CHECKING:
    from fxbot.alerts.rules import Rule
    from fxbot.services.alerts import AlertService

log = logging.getLogger(__name__)

USAGE = "/alert SYMBOL above|below PRICE then buy|sell VOLUME [sl=… tp=…] [| above|below PRICE then ORDER]"
EXAMPLE = "/alert EURUSD above 1.0950 then buy 0.1 sl=20p tp=40p"


class AlertOrders:
    """Creates alerts with orders and runs their orders when they fire (see the module docstring)."""

    def __init__(self, *, store: AlertOrderStore, alerts: AlertService, handler: CommandHandlerPort,
                 resolver: ChatContextResolver, post: Post, known_symbols: Collection[str],
                 clock: Callable[[], datetime]) -> None:
        self._store = store
        self._alerts = alerts
        self._handler = handler
        self._resolver = resolver
        self._post = post
        self._symbols = SymbolResolver(known_symbols)
        self._specs = spec_table(handler)
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self._fired: list[int] = []  # rules told fired, not looked up yet
        self._looking: asyncio.Task[None] | None = None
        self._sweeping: asyncio.Task[int] | None = None
        self._swept_writes = -1  # access_writes() when the last re-check began (-1: none yet)

    async def create(self, chat: ChatRef, user: ChatUser, words: list[str]) -> list[tuple[Rule, str]]:
        """Check every leg's order (now, for this person), then set each alert with its order; the rules and
        their commands. UsageError / AccessDenied when a leg is wrong or not allowed (nothing is set)."""
        try:
            legs = parse_order_legs(words)
        except OrderSpecError as error:
            raise UsageError(str(error), usage=USAGE, example=EXAMPLE) from None
        ctx = await self._resolver.resolve(chat, user)
        for leg in legs:
            try:
                check_line(leg.command, self._specs, self._symbols, ctx, what="an alert", allowed=ORDER_COMMANDS)
            except Refused as refusal:
                if refusal.status == 403:
                    raise AccessDenied(refusal.reason, "alert_order") from None
                raise UsageError(refusal.reason, usage=USAGE, example=EXAMPLE) from None
        made: list[tuple[Rule, str]] = []
        fired_now: list[int] = []
        group: list[int] = []  # the first leg's rule id, when there are several
        for leg in legs:
            # the order is stored with its rule, in the rule's transaction and before the engine judges it: a
            # price crossing it at once, here or in another process, finds the order (never only at a restart)
            created = await self._alerts.create(chat.id, user.id, list(leg.alert_words), thread_id=chat.thread_id,
                                                with_rule=self._order_keeper(chat, user, leg.command, group,
                                                                             several=len(legs) > 1))
            made.append((created.rule, leg.command))
            if created.fired_now:
                fired_now.append(created.rule.id)
        for rule_id in fired_now:  # it held already (claimed once, whichever of this and the firing's look-up is first)
            await self.fire(rule_id)
        return made

    def _order_keeper(self, chat: ChatRef, user: ChatUser, command: str, group: list[int], *,
                      several: bool) -> Callable[[Rule], Awaitable[None]]:
        """What stores one leg's order with its rule (AlertService.create's `with_rule`); the first leg of several
        gives the group its id."""
        async def keep(rule: Rule) -> None:
            if several and not group:
                group.append(rule.id)
            await self._store.add(AlertOrder(rule_id=rule.id, group_id=group[0] if group else None, chat_id=chat.id,
                                             thread_id=chat.thread_id, user_id=user.id, user_name=user.display_name,
                                             command=command, state="pending"))
        return keep

    async def pending_in_chat(self, chat_id: str) -> dict[int, str]:
        """Rule id -> the order each of the chat's alerts will place (for /alerts)."""
        return await self._store.pending_in_chat(chat_id)

    def rule_fired(self, rule_id: int) -> None:
        """AlertService's hook, told each new firing's rule: its order (if it has one) runs in its own task, off the
        stream's path. The rules told together (a written burst, and what comes while they are looked up) are looked
        up in one read (`AlertOrderStore.pending_among`) rather than a claim transaction each: most alerts place no
        order. Should that read fail, each rule is claimed on its own, as the claim says whether it has an order."""
        self._fired.append(rule_id)
        if self._looking is None:
            self._looking = self._spawn(self._look_up_fired(), "alert-orders-fired")

    async def _look_up_fired(self) -> None:
        try:
            while self._fired:
                rule_ids, self._fired = self._fired, []
                try:
                    pending = await self._store.pending_among(rule_ids)
                except Exception:
                    log.exception("looking up the orders of %d fired alerts; claiming each instead", len(rule_ids))
                    pending = rule_ids
                for rule_id in pending:
                    self._spawn(self.fire(rule_id), f"alert-order-{rule_id}")
        finally:
            self._looking = None

    def _spawn(self, work: Coroutine[None, None, None], name: str) -> asyncio.Task[None]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def aclose(self) -> None:
        """Stop a running re-check and let orders being placed finish (an order is never cut off mid-send)."""
        if self._sweeping is not None and not self._sweeping.done():
            self._sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeping
        await self.settle()

    async def settle(self) -> None:
        """Wait for the orders being run and a running re-check (tests, orderly stop)."""
        while self._tasks or (self._sweeping is not None and not self._sweeping.done()):
            await asyncio.gather(*list(self._tasks), *[t for t in (self._sweeping,) if t is not None],
                                 return_exceptions=True)

    async def fire(self, rule_id: int) -> None:
        """Run the rule's pending order once; a refusal now (role, key) cancels it and says so in the chat."""
        try:
            claimed = await self._store.claim(rule_id)
            if claimed is None:
                return
            order, others = claimed
            for other in others:
                await self._drop_rule(other.chat_id, other.rule_id)
            await self._drop_rule(order.chat_id, order.rule_id)
            await self._run(order)
        except Exception:
            log.exception("alert #%d: running its order failed; it is not retried", rule_id)

    def _who(self, order: AlertOrder) -> tuple[ChatRef, ChatUser]:
        kind = self._alerts.outbox.chat_kind(order.chat_id)
        chat = ChatRef(id=order.chat_id, kind=kind if isinstance(kind, ChatKind) else ChatKind.GROUP,
                       platform=order.chat_id.split(":", 1)[0], thread_id=order.thread_id)
        return chat, ChatUser(id=order.user_id, display_name=order.user_name, is_platform_admin=False)

    def schedule_sweep(self) -> None:
        """After a state-changing command: re-check the pending orders soon (one sweep at a time) when something
        that decides who may place them — a role, a key, a binding, a chat setting, a chat move — was written in
        this process since the last re-check began (fxbot.chat.command_scope.access_writes; a running bot's
        /buy, /alert or /close changes none of it, and no longer re-reads every pending order of every chat).
        A write during a running re-check is re-checked at the next call."""
        writes = access_writes()
        if writes == self._swept_writes or not (self._sweeping is None or self._sweeping.done()):
            return
        self._swept_writes = writes
        self._sweeping = asyncio.create_task(self.sweep(), name="alert-orders-sweep")

    async def sweep(self) -> int:
        """Cancel (with its alert, saying so in the chat) every pending order its owner may no longer place —
        a lost role, an unbound or lesser key; returns how many."""
        cancelled = 0
        try:
            for order in await self._store.pending():
                chat, user = self._who(order)
                ctx = await self._resolver.resolve(chat, user)
                try:
                    check_line(order.command, self._specs, self._symbols, ctx, what="an alert",
                               allowed=ORDER_COMMANDS)
                except Refused as refusal:
                    if refusal.status != 403 or not await self._store.cancel(order.rule_id, refusal.reason):
                        continue
                    await self._drop_rule(order.chat_id, order.rule_id)
                    await self._post(chat, Reply(title=f"Alert #{order.rule_id} cancelled", kind=ReplyKind.WARNING,
                                                 text=(f"its order {order.command} can no longer be placed by "
                                                       f"{order.user_name}: {refusal.reason}",)))
                    cancelled += 1
        except Exception:
            log.exception("alert orders: re-checking the pending orders failed")
        return cancelled

    async def _run(self, order: AlertOrder) -> None:
        chat, user = self._who(order)
        title = f"Alert #{order.rule_id} fired"
        ctx = await self._resolver.resolve(chat, user)
        try:
            check_line(order.command, self._specs, self._symbols, ctx, what="an alert", allowed=ORDER_COMMANDS)
        except Refused as refusal:
            await self._store.finish(order.rule_id, "cancelled", refusal.reason)
            await self._post(chat, Reply(title=title, kind=ReplyKind.WARNING, text=(
                f"its order {order.command} was not placed: {refusal.reason} — the order is cancelled, nothing "
                "was sent",)))
            return
        replies = await self._handler.handle(IncomingCommand(user=user, chat=chat, text=order.command,
                                                             received_at=self._clock(),
                                                             via=f"alert #{order.rule_id}"))
        await self._store.finish(order.rule_id, "done", replies[0].plain_text if replies else "")
        for reply in replies:
            shown = Reply(title=f"{title}: {reply.title}" if reply.title else title, text=reply.text,
                          table=reply.table, buttons=reply.buttons, image=reply.image, kind=reply.kind)
            await self._post(chat, shown)

    async def _drop_rule(self, chat_id: str, rule_id: int) -> None:
        """Delete an alert whose order ran or was cancelled by its partner (gone already is fine)."""
        with contextlib.suppress(UserError):
            await self._alerts.delete(chat_id, rule_id)

    async def recover(self) -> int:
        """At start-up: run the pending orders of alerts that fired while the bot was down; cancel those whose
        alert is gone. Returns how many ran."""
        ran = 0
        for order in await self._store.pending():
            rule = await self._alerts.repository.get(order.rule_id)
            if rule is None:
                await self._store.cancel(order.rule_id, "its alert was deleted")
            elif rule.state.fire_seq > 0:
                await self.fire(order.rule_id)
                ran += 1
        return ran
