"""The e2e harness: a real simulator, a real Storage, build_services and the Dispatcher with every command.

Fixture `bot` (function-scoped, async) -> BotHarness:

    replies = await bot.say("/buy EURUSD 0.1")                # the owner, in the private chat
    result = await bot.press(replies[0], "Confirm")            # a button by (a prefix of) its label
    alice = bot.user("alice"); group = await bot.group_chat(members={alice: Role.TRADER})
    await bot.say("/positions", user=alice, chat=group)
    await bot.link_key(bot.owner, "read-only", bind_to=chat)         # bind a key of another scope
    bot.clock.advance(61)                                             # expire confirmation cards
    await bot.sim_positions(); await bot.sim_orders(); await bot.set_quote("EURUSD", 1.1)
    await bot.fault(fail_after_next=1); await bot.revoke(bot.sim.keys["trade"])

`bot.owner` is a console user whose private chat `bot.private_chat` is bound to the simulator's trade
key (linked as "sim-trade"). The simulator is `sim_paused`: prices move only when a test sets them.

Both fixtures run over either kind of key: `@pytest.mark.parametrize("bot", KEY_KINDS, indirect=True)` (or
"console") runs the test with the `/v1` trade key ("v1", the default) and with the SDK face's `fxs_live_` key
capped to trade ("sdk"). `bot.ref(row)` is how that key names a `/v1` position or order row in replies
(`pos_…`/`ord_…`, or the MetaTrader ticket `#50000001`).

Fixture `console` (function-scoped, async) -> ConsoleApp: the whole app (fxbot.app.build) with the console
adapter on the paused simulator, started and connected, killed afterwards (see console_app_driver).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.types import ButtonPress, ChatKind, ChatRef, ChatUser, IncomingCommand, PressResult, Reply
from fxbot.commands.catalog import build_dispatcher
from fxbot.domain.access import Role, Scope
from fxbot.services.audit_sink import StorageAuditSink
from fxbot.services.container import Services, build_services
from fxbot.simulator.runner import RunningSimulator
from fxbot.storage import Storage, StoredKey
from tests.e2e.console_app_driver import ConsoleApp
from tests.fakes.platforms import builtin_platforms

MASTER_KEY_ENV = "FXBOT_SECRET_KEY"
PLATFORM = "console"
KEY_KINDS = ["v1", "sdk"]  # the `/v1` sk_ key and the SDK face's fxs_live_ key (see the module docstring)


@dataclass
class FakeClock:
    """A settable clock: `now()` (aware UTC) for services, `monotonic()` for the confirmation book."""

    current: datetime = field(default_factory=lambda: datetime(2026, 4, 2, 14, 30, tzinfo=UTC))
    mono: float = 1_000.0

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        """Move both readings forward."""
        self.current += timedelta(seconds=seconds)
        self.mono += seconds


def button_labels(reply: Reply) -> list[str]:
    return [b.label for b in reply.buttons]


def reply_text(replies: Reply | list[Reply] | None) -> str:
    """Every title and text line (Reply.plain_text) and table row, cells joined by " | ", of the replies
    (for `in` assertions such as "EURUSD | BUY | 0.10")."""
    if replies is None:
        return ""
    items = [replies] if isinstance(replies, Reply) else replies
    parts: list[str] = []
    for reply in items:
        parts.append(reply.plain_text)
        if reply.table is not None:
            parts.extend(" | ".join(row) for row in (reply.table.headers, *reply.table.rows))
    return "\n".join(parts)


class BotHarness:
    """Drives the assembled bot like a chat platform would, and inspects the simulator."""

    def __init__(self, *, sim: RunningSimulator, storage: Storage, services: Services,
                 dispatcher: Dispatcher[Services], clock: FakeClock, control: httpx.AsyncClient) -> None:
        self.sim = sim
        self.storage = storage
        self.services = services
        self.dispatcher = dispatcher
        self.clock = clock
        self.control = control
        self.owner = self.user("owner")
        self.private_chat = self.private_chat_of(self.owner)
        self.trade_key: StoredKey | None = None
        self.kind = "v1"  # the kind of key bound to the private chat: "v1" or "sdk"
        self._message_ids = 0

    # --- people and chats ------------------------------------------------------------------------

    def user(self, name: str, *, platform_admin: bool = False) -> ChatUser:
        """A console user `console:<name>`."""
        return ChatUser(id=f"{PLATFORM}:{name}", display_name=name, is_platform_admin=platform_admin)

    def private_chat_of(self, user: ChatUser) -> ChatRef:
        """The private chat between the bot and `user` (nothing bound unless you bind it)."""
        return ChatRef(id=f"{PLATFORM}:dm-{user.display_name}", kind=ChatKind.PRIVATE, platform=PLATFORM)

    async def group_chat(self, name: str = "desk", *, members: Mapping[ChatUser, Role] | None = None,
                         scope: str | None = "trade", admin: ChatUser | None = None) -> ChatRef:
        """A group chat whose stored admin is `admin` (default the owner), with `members` and their roles,
        bound to the owner's key of `scope` (None: not bound)."""
        chat = ChatRef(id=f"{PLATFORM}:group-{name}", kind=ChatKind.GROUP, platform=PLATFORM, title=name)
        boss = admin or self.owner
        await self.storage.members.set_role(chat.id, boss.id, Role.ADMIN, boss.display_name)
        for person, role in (members or {}).items():
            await self.storage.members.set_role(chat.id, person.id, role, person.display_name)
        if scope is not None:
            await self.link_key(self.owner, scope, bind_to=chat)
        return chat

    async def link_key(self, owner: ChatUser, scope: str, *, bind_to: ChatRef | None = None,
                       name: str | None = None, secret: str | None = None) -> StoredKey:
        """Store the simulator's key of `scope` for `owner` (once) and optionally bind it to a chat."""
        secret = secret or self.sim.keys[scope]
        key = await self.storage.keys.find_by_secret(owner.id, secret)
        if key is None:
            key = await self.storage.keys.add(owner.id, name or f"sim-{scope}", secret, Scope(scope))
        if bind_to is not None:
            await self.storage.bindings.bind(bind_to.id, key.id, owner.id)
        return key

    # --- talking -----------------------------------------------------------------------------------

    async def say(self, text: str, *, user: ChatUser | None = None,
                  chat: ChatRef | None = None) -> list[Reply]:
        """Send one chat message; the bot's replies."""
        self._message_ids += 1
        command = IncomingCommand(user=user or self.owner, chat=chat or self.private_chat, text=text,
                                  message_id=str(self._message_ids), received_at=self.clock.now())
        return await self.dispatcher.handle(command)

    async def press(self, reply: Reply, label: str, *, user: ChatUser | None = None,
                    chat: ChatRef | None = None) -> PressResult:
        """Press the button of `reply` whose label is or starts with `label` ("Confirm" matches
        "Confirm BUY")."""
        matches = [b for b in reply.buttons if b.label == label] or \
                  [b for b in reply.buttons if b.label.startswith(label)]
        if not matches:
            raise AssertionError(f"no button {label!r} on the reply; buttons: {button_labels(reply)}")
        press = ButtonPress(user=user or self.owner, chat=chat or self.private_chat, action=matches[0].action)
        return await self.dispatcher.press(press)

    # --- the simulator -----------------------------------------------------------------------------

    async def _get(self, path: str, key: str | None = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {key or self.sim.keys['full']}"}
        answer = await self.control.get(f"{self.sim.base_url}{path}", headers=headers, params=params)
        answer.raise_for_status()
        return answer.json()

    async def _control(self, path: str, body: Mapping[str, Any]) -> Any:
        answer = await self.control.post(f"{self.sim.base_url}/_sim/{path}", json=dict(body))
        answer.raise_for_status()
        return answer.json()

    def ref(self, row: Mapping[str, Any]) -> str:
        """How the private chat's key names a `/v1` position or pending order row: its id, or for an SDK key
        the MetaTrader ticket (`#50000001`, a position's being its opening order's)."""
        if self.kind == "v1":
            return str(row["id"])
        return f"#{self.sim.sdk_ticket(str(row.get('order_id') or row['id']))}"

    async def account_ids(self) -> list[str]:
        return [a["id"] for a in await self._get("/v1/accounts")]

    async def sim_positions(self, account_id: str | None = None) -> list[dict[str, Any]]:
        """Positions on the simulator (the key's first account unless given)."""
        params = {"account_id": account_id} if account_id else {}
        result: list[dict[str, Any]] = await self._get("/v1/positions", **params)
        return result

    async def sim_orders(self, account_id: str | None = None) -> list[dict[str, Any]]:
        """Pending orders on the simulator."""
        params = {"account_id": account_id} if account_id else {}
        result: list[dict[str, Any]] = await self._get("/v1/orders", **params)
        return result

    async def sim_quote(self, symbol: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._get(f"/v1/quotes/{symbol}")
        return result

    async def sim_account(self, account_id: str | None = None) -> dict[str, Any]:
        params = {"account_id": account_id} if account_id else {}
        result: dict[str, Any] = await self._get("/v1/account", **params)
        return result

    async def set_quote(self, symbol: str, bid: float, ask: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"bid": bid}
        if ask is not None:
            body["ask"] = ask
        result: dict[str, Any] = await self._control(f"quotes/{symbol}", body)
        return result

    async def fault(self, **body: Any) -> dict[str, Any]:
        """POST /_sim/faults with these keys (e.g. fail_after_next=1, rate_limit_for_s=1)."""
        result: dict[str, Any] = await self._control("faults", body)
        return result

    async def revoke(self, key: str) -> None:
        await self._control("keys", {"revoke": key})

    async def set_account_status(self, status: str, account_id: str | None = None) -> None:
        account = account_id or (await self.account_ids())[0]
        await self._control("faults", {"account_status": {account: status}})


async def assemble_bot(sim: RunningSimulator, storage: Storage, clock: FakeClock) -> BotHarness:
    """The bot as the app wires it (build_services, every command, the storage audit sink) over an open
    Storage; `close_bot` undoes it."""
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
    platforms = builtin_platforms()
    services = await build_services(storage, http=http, base_url=sim.base_url, stream_url=sim.stream_url,
                                    management_url=sim.sdk_url, clock=clock.now, chat_kinds=platforms.chat_kinds())
    dispatcher = build_dispatcher(services, clock=clock.now, confirmations=ConfirmationBook(clock=clock.monotonic),
                                  audit=StorageAuditSink(storage, clock.now),
                                  platforms_reporting_admins=platforms.reporting_admins())
    return BotHarness(sim=sim, storage=storage, services=services, dispatcher=dispatcher, clock=clock,
                      control=httpx.AsyncClient(timeout=10.0))


async def close_bot(harness: BotHarness) -> None:
    """Close the services (and their HTTP client), the control client and the storage."""
    await harness.services.close()
    await harness.control.aclose()
    await harness.storage.close()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def master_env() -> dict[str, str]:
    """The environment holding a fresh storage master key."""
    return {MASTER_KEY_ENV: _test_master_key()}


def key_kind(request: pytest.FixtureRequest) -> str:
    """The kind of key a fixture was parametrised with ("v1" unless `indirect` says "sdk")."""
    kind = str(getattr(request, "param", "v1"))
    assert kind in KEY_KINDS, kind
    return kind


@pytest.fixture
async def bot(sim_paused: RunningSimulator, tmp_path: Path, fake_clock: FakeClock,
              master_env: dict[str, str], request: pytest.FixtureRequest) -> AsyncIterator[BotHarness]:
    """The assembled bot against a paused simulator; see the module docstring."""
    storage = await Storage.open(tmp_path / "fxbot.db", master_env)
    harness = await assemble_bot(sim_paused, storage, fake_clock)
    harness.kind = key_kind(request)
    secret = sim_paused.sdk_keys["full"] if harness.kind == "sdk" else None
    harness.trade_key = await harness.link_key(harness.owner, "trade", bind_to=harness.private_chat, secret=secret)
    try:
        yield harness
    finally:
        await close_bot(harness)


@pytest.fixture
async def console(sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str],
                  request: pytest.FixtureRequest) -> AsyncIterator[ConsoleApp]:
    """The real app with the console adapter against a paused simulator; see the module docstring."""
    secret = sim_paused.sdk_keys["full"] if key_kind(request) == "sdk" else None
    app = ConsoleApp(sim_paused, tmp_path / "bot.db", master_env, api_key=secret)
    try:
        await app.start()  # inside: a start that fails still releases the console's pipe (its reader thread)
        yield app
    finally:
        await app.kill()


def _test_master_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")
