"""/status and account terminals: a broker that reports terminal status (SupportsTerminalStatus) gets a line per
account with its broker connection and EA heartbeat; one that does not leaves /status as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.commands.status import terminal_line
from fxbot.domain.access import Scope
from fxbot.domain.broker import AccountSummary, ServerError
from fxbot.domain.broker.capabilities import SupportsTerminalStatus
from fxbot.services.health import MAX_TERMINALS, TerminalHealth
from fxbot.storage import Storage
from tests.e2e.conftest import reply_text
from tests.e2e.terminal_harness import TerminalBot
from tests.fakes.terminal_broker import ACCOUNT_ID, TerminalBroker, TicketBroker, ready_terminal


@pytest.fixture
async def storage(tmp_path: Path, master_env: dict[str, str]) -> AsyncIterator[Storage]:
    store = await Storage.open(tmp_path / "fxbot.db", master_env)
    yield store
    await store.close()


async def status_of(storage: Storage, broker: TicketBroker) -> tuple[ReplyKind, str]:
    bot = TerminalBot(storage, broker)
    await bot.bind(Scope.READ_ONLY)
    try:
        reply = (await bot.say("/status"))[0]
    finally:
        await bot.close()
    return reply.kind, reply_text(reply)


async def test_a_ready_terminal_is_shown_with_its_broker_connection_and_ea_heartbeat(storage: Storage) -> None:
    kind, text = await status_of(storage, TerminalBroker())
    assert (f"terminal {ACCOUNT_ID} (login 5001234): ready — broker connected (Demo-Server, ping 42 ms), "
            "EA heartbeat 0.4 s ago, trading allowed") in text
    assert kind is ReplyKind.INFO, text


async def test_a_terminal_off_its_broker_makes_status_a_warning(storage: Storage) -> None:
    down = ready_terminal().model_copy(update={
        "status": "degraded", "broker_connected": False, "trade_allowed": False, "ea_heartbeat_age_s": 95.0,
        "ping_ms": None})
    kind, text = await status_of(storage, TerminalBroker(terminal=down))
    assert (f"terminal {ACCOUNT_ID} (login 5001234): degraded — broker NOT connected (Demo-Server), EA heartbeat "
            "1m 35s ago, trading NOT allowed") in text
    assert kind is ReplyKind.WARNING


async def test_a_terminal_that_cannot_be_read_says_so(storage: Storage) -> None:
    kind, text = await status_of(storage, TerminalBroker(terminal=ServerError("boom", status=500)))
    assert f"terminal {ACCOUNT_ID} (login 5001234): could not be read (server_error)" in text
    assert kind is ReplyKind.WARNING


async def test_a_broker_without_terminal_status_leaves_status_unchanged(storage: Storage) -> None:
    broker = TicketBroker()
    assert not isinstance(broker, SupportsTerminalStatus)
    kind, text = await status_of(storage, broker)
    assert f"terminal {ACCOUNT_ID}" not in text and kind is ReplyKind.INFO
    assert "terminal_status" not in broker.names()
    assert "reachable, key 'terminal-read-only' accepted" in text


class ManyAccounts(TerminalBroker):
    """A key reaching more accounts than /status checks."""

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]:
        return [AccountSummary(id=f"acc_{n}", broker="Demo-Server", platform="MT5", status="connected", login=n)
                for n in range(1, MAX_TERMINALS + 3)]


async def test_the_chats_account_comes_first_and_at_most_a_few_are_checked(storage: Storage) -> None:
    bot = TerminalBot(storage, ManyAccounts())
    await bot.bind(Scope.TRADE, account_id="acc_6")
    try:
        text = reply_text(await bot.say("/status"))
    finally:
        await bot.close()
    lines = [line for line in text.splitlines() if line.startswith("terminal ")]
    assert len(lines) == MAX_TERMINALS
    assert lines[0].startswith("terminal acc_6 (login 6): ready") and lines[1].startswith("terminal acc_1 ")


def test_terminal_lines() -> None:
    unregistered = ready_terminal().model_copy(update={
        "status": "starting", "trade_ea_ready": False, "ea_heartbeat_age_s": None, "terminal_alive": False,
        "logged_in": False, "broker_server": None, "ping_ms": None})
    assert terminal_line(TerminalHealth("acc", None, unregistered)) == (
        "terminal acc: starting — the MetaTrader terminal is NOT running, broker connected, account NOT logged in, "
        "trading EA not registered, trading allowed")
    stuck = ready_terminal().model_copy(update={"trade_ea_ready": False, "ea_heartbeat_age_s": 12.0})
    assert "trading EA not ready, EA heartbeat 12 s ago" in terminal_line(TerminalHealth("acc", 7, stuck))
