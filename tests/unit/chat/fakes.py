"""Fakes shared by the chat core tests: a resolver, an audit sink, a clock and a tiny command set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fxbot.chat.arguments import ArgKind, Argument, BoundArgs
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.context import ChatContext, CommandContext
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.help import register_help_commands
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import ChatKind, ChatRef, ChatUser, IncomingCommand, Reply, ReplyKind
from fxbot.domain.access import Role, Scope
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import (
    AccessDenied,
    AccountDisconnected,
    FxbotError,
    KeyRevoked,
    NotFound,
    OutcomeUnknown,
    ScopeTooLow,
    UpstreamRejected,
    UpstreamUnavailable,
    UsageError,
)
from tests.fakes.clocks import ManualClock

FakeClock = ManualClock  # the name the chat tests import from here

NOW = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
ALICE = ChatUser("telegram:1", "Alice")
BOB = ChatUser("telegram:2", "Bob")
CAROL_ADMIN = ChatUser("telegram:3", "Carol", is_platform_admin=True)
PRIVATE = ChatRef("telegram:1", ChatKind.PRIVATE, "telegram")
GROUP = ChatRef("telegram:-100", ChatKind.GROUP, "telegram", title="Desk")
LEAKY_KEY = "sk_live_SECRETabc123XYZ"

ERRORS: dict[str, FxbotError] = {
    "usage": UsageError("volume is odd"),
    "notfound": NotFound("no position pos_9"),
    "denied": AccessDenied("nope, not you"),
    "rejected": UpstreamRejected("market closed", code="market_closed"),
    "unavailable": UpstreamUnavailable(),
    "unknown": OutcomeUnknown(),
    "revoked": KeyRevoked(),
    "disconnected": AccountDisconnected(),
    "scope": ScopeTooLow(),
}


@dataclass
class FakeResolver:
    """Role and key per (chat id, user id); defaults: trader with a trade key."""

    contexts: dict[tuple[str, str], tuple[Role, Scope | None]] = field(default_factory=dict)
    default: tuple[Role, Scope | None] = (Role.TRADER, Scope.TRADE)
    fail: bool = False

    async def resolve(self, chat: ChatRef, user: ChatUser) -> ChatContext:
        if self.fail:
            raise RuntimeError("database is locked")
        role, scope = self.contexts.get((chat.id, user.id), self.default)
        return ChatContext(chat=chat, user=user, role=role, key_scope=scope,
                           key_name="main" if scope else None, account_id="acc_1" if scope else None,
                           binding_owner=ALICE.id if scope else None)


@dataclass
class RecordingAudit:
    records: list[dict[str, Any]] = field(default_factory=list)

    async def record(self, *, chat_id: str, user_id: str, command: str, ok: bool, result: str,
                     latency_ms: float, order_ref: str | None) -> None:
        self.records.append(dict(chat_id=chat_id, user_id=user_id, command=command, ok=ok, result=result,
                                 latency_ms=latency_ms, order_ref=order_ref))


@dataclass
class Services:
    """What the fake commands use: counters of executed side effects."""

    orders_sent: int = 0
    confirm_error: FxbotError | Exception | None = None


TRADE = Permission(scope=Scope.TRADE, role=Role.TRADER)
READ = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
ANYONE = Permission(scope=None, role=Role.VIEWER)


async def buy(ctx: CommandContext[Services], args: BoundArgs) -> Reply:
    symbol, volume = args.text("symbol"), args.number("volume")
    card = Reply(title="Confirm order", text=(f"BUY {volume:g} {symbol}",))

    async def send() -> Reply:
        if ctx.services.confirm_error is not None:
            raise ctx.services.confirm_error
        ctx.services.orders_sent += 1
        ctx.record_order_ref("ord_42")
        return Reply(text=(f"bought {volume:g} {symbol}",), kind=ReplyKind.OK)

    return ctx.confirm(card, send)


async def positions(ctx: CommandContext[Services], args: BoundArgs) -> Reply:
    return Reply(title="Positions", text=("none",))


async def close(ctx: CommandContext[Services], args: BoundArgs) -> Reply:
    ctx.record_order_ref(args.text("ref"))
    return Reply(text=(f"closed {args.text('ref')}",), kind=ReplyKind.OK)


async def boom(ctx: CommandContext[Services], args: BoundArgs) -> Reply:
    raise RuntimeError(f"kaboom with {LEAKY_KEY}")


async def fail(ctx: CommandContext[Services], args: BoundArgs) -> Reply:
    raise ERRORS[args.text("kind")]


async def link(ctx: CommandContext[Services], args: BoundArgs) -> Reply:
    """A sensitive command: "crash…" raises with the key in the message, "bad…" a usage error quoting it,
    "confirm…" asks first (and "confirm…boom" then crashes); anything else links."""
    key = args.text("key")
    if key.startswith("crash"):
        raise RuntimeError(f"could not link {key}")
    if key.startswith("bad"):
        raise UsageError(f"the key '{key}' is malformed")
    if key.startswith("confirm"):
        async def store() -> Reply:
            if key.endswith("boom"):
                raise RuntimeError(f"storing {key} failed")
            return Reply(text=("linked",), kind=ReplyKind.OK)

        return ctx.confirm(Reply(title="Link this key?"), store)
    return Reply(text=("linked",), kind=ReplyKind.OK)


async def quiet(ctx: CommandContext[Services], args: BoundArgs) -> list[Reply]:
    return []


def build_registry() -> CommandRegistry[Services]:
    registry: CommandRegistry[Services] = CommandRegistry()
    volume = Argument("volume", ArgKind.VOLUME, help="lots, e.g. 0.10")
    registry.register(CommandSpec(
        name="buy", aliases=("b",), summary="Buy at market", usage="/buy SYMBOL VOLUME [sl=PRICE|PIPSp]",
        examples=("/buy EURUSD 0.10 sl=20p",), arguments=(
            Argument("symbol", ArgKind.SYMBOL), volume,
            Argument("sl", ArgKind.PRICE_OR_PIPS, required=False, keyword=True)),
        permission=TRADE, handler=buy, state_changing=True, category="trading"))
    registry.register(CommandSpec(
        name="positions", aliases=("pos",), summary="Open positions", usage="/positions", examples=(),
        arguments=(), permission=READ, handler=positions, category="account"))
    registry.register(CommandSpec(
        name="close", aliases=(), summary="Close a position", usage="/close ID", examples=("/close pos_1",),
        arguments=(Argument("ref", ArgKind.ORDER_REF),), permission=TRADE, handler=close,
        state_changing=True, category="trading"))
    registry.register(CommandSpec(
        name="boom", aliases=(), summary="Always crashes", usage="/boom [TEXT]", examples=(),
        arguments=(Argument("text", ArgKind.TEXT, required=False),), permission=ANYONE, handler=boom,
        state_changing=True))
    registry.register(CommandSpec(
        name="fail", aliases=(), summary="Raises a chosen error", usage="/fail KIND",
        examples=("/fail usage",),
        arguments=(Argument("kind", ArgKind.CHOICE, choices=tuple(ERRORS)),), permission=ANYONE,
        handler=fail))
    registry.register(CommandSpec(
        name="link", aliases=(), summary="Link a key", usage="/link KEY", examples=(),
        arguments=(Argument("key", ArgKind.TEXT),),
        permission=Permission(None, Role.VIEWER, private_only=True),
        handler=link, category="setup", state_changing=True, sensitive=True))
    registry.register(CommandSpec(
        name="quiet", aliases=(), summary="Returns nothing", usage="/quiet", examples=(), arguments=(),
        permission=ANYONE, handler=quiet))
    return registry


def build_dispatcher(
    resolver: FakeResolver | None = None,
    audit: RecordingAudit | None = None,
    clock: FakeClock | None = None,
    *,
    with_help: bool = False,
) -> tuple[Dispatcher[Services], Services, ConfirmationBook]:
    services = Services()
    book = ConfirmationBook(clock=clock or FakeClock())
    registry = build_registry()
    if with_help:
        register_help_commands(registry)
    dispatcher = Dispatcher(registry, resolver or FakeResolver(), services,
                            known_symbols=tuple(INSTRUMENTS), confirmations=book, clock=lambda: NOW,
                            audit=audit)
    return dispatcher, services, book


def message(text: str, user: ChatUser = ALICE, chat: ChatRef = GROUP) -> IncomingCommand:
    return IncomingCommand(user=user, chat=chat, text=text, message_id="m1", received_at=NOW)
