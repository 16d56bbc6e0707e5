"""A bot whose chat is bound to a terminal-API key (fxs_live_/fxs_ro_), answered by the fake terminal broker.

Every command goes through the real dispatcher, services and storage; only the broker is the fake of
`tests/fakes/terminal_broker.py`, registered for terminal-API keys in the broker registry. `services_over`
wires the services the way `build_services` does, over a registry of the test's choosing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.types import ButtonPress, ChatKind, ChatRef, ChatUser, IncomingCommand, PressResult, Reply
from fxbot.commands.catalog import build_dispatcher
from fxbot.domain.access import Scope
from fxbot.domain.broker import BrokerBackends
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences
from fxbot.services.accounts import AccountService
from fxbot.services.alerts import AlertService
from fxbot.services.brokers import BrokerProvider
from fxbot.services.charts import ChartService
from fxbot.services.chat_settings import SettingsService
from fxbot.services.container import Services
from fxbot.services.digests import DigestService
from fxbot.services.health import HealthService
from fxbot.services.keys import KeyService
from fxbot.services.market import MarketService
from fxbot.services.reports import ReportService
from fxbot.services.team import TeamService
from fxbot.services.trading import TradingService
from fxbot.storage import Storage, StoredKey
from tests.e2e.conftest import FakeClock
from tests.fakes.terminal_broker import TerminalBackend, TicketBroker

LIVE_KEY = "fxs_live_TestMasterKey0123456789abcd"
READ_ONLY_KEY = "fxs_ro_TestReadOnlyKey0123456789abc"


def services_over(storage: Storage, backends: BrokerBackends, clock: Callable[[], datetime]) -> Services:
    """The services as `build_services` wires them, over the given broker registry."""
    brokers = BrokerProvider(storage, backends)
    settings = SettingsService(storage=storage)
    reports = ReportService(storage=storage, brokers=brokers, clock=clock)
    return Services(
        storage=storage, brokers=brokers,
        trading=TradingService(storage=storage, brokers=brokers, clock=clock),
        market=MarketService(storage=storage, brokers=brokers),
        accounts=AccountService(storage=storage, brokers=brokers),
        keys=KeyService(storage=storage, brokers=brokers),
        team=TeamService(storage=storage),
        chat_settings=settings,
        health=HealthService(storage=storage, brokers=brokers, clock=clock),
        alerts=AlertService(storage=storage, brokers=brokers, outbox=Outbox(storage.db, clock),
                            preferences=NotificationPreferences(storage.db), clock=clock),
        reports=reports,
        charts=ChartService(storage=storage, brokers=brokers),
        digests=DigestService(storage=storage, reports=reports, settings=settings, clock=clock),
        clock=clock,
    )


class TerminalBot:
    """Drives the bot like a chat platform: `say` a line as the owner in their private chat, `press` a button."""

    def __init__(self, storage: Storage, broker: TicketBroker, clock: FakeClock | None = None) -> None:
        self.storage = storage
        self.broker = broker
        self.backend = TerminalBackend(broker)
        self.clock = clock or FakeClock()
        self.services = services_over(storage, BrokerBackends([self.backend]), self.clock.now)
        self.dispatcher: Dispatcher[Services] = build_dispatcher(
            self.services, clock=self.clock.now, confirmations=ConfirmationBook(clock=self.clock.monotonic),
            audit=None)
        self.owner = ChatUser(id="console:owner", display_name="owner")
        self.chat = ChatRef(id="console:dm-owner", kind=ChatKind.PRIVATE, platform="console")
        self._messages = 0

    async def bind(self, scope: Scope, secret: str = LIVE_KEY, *, account_id: str | None = None) -> StoredKey:
        """Store the owner's key with `scope` and bind it to the private chat (on `account_id`: the key's first)."""
        key = await self.storage.keys.add(self.owner.id, f"terminal-{scope.value}", secret, scope)
        await self.storage.bindings.bind(self.chat.id, key.id, bound_by=self.owner.id, account_id=account_id)
        return key

    async def say(self, text: str) -> list[Reply]:
        self._messages += 1
        return await self.dispatcher.handle(IncomingCommand(user=self.owner, chat=self.chat, text=text,
                                                            message_id=str(self._messages),
                                                            received_at=self.clock.now()))

    async def press(self, reply: Reply, label: str) -> PressResult:
        button = next(b for b in reply.buttons if b.label.startswith(label))
        return await self.dispatcher.press(ButtonPress(user=self.owner, chat=self.chat, action=button.action))

    async def close(self) -> None:
        await self.services.close()
