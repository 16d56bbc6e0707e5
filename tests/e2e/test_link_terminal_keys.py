"""e2e: /link with terminal-API keys through the dispatcher — an fxs_ro_ key is read-only (trade/full refused with
the reason, nothing stored, FxSocket not asked), an fxs_live_ key is linked full with the master-key warning or
capped, and neither key is ever echoed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Scope
from fxbot.storage import Storage
from tests.e2e.conftest import reply_text
from tests.e2e.terminal_harness import LIVE_KEY, READ_ONLY_KEY, TerminalBot
from tests.fakes.terminal_broker import TerminalBroker


@pytest.fixture
async def bot(tmp_path: Path, master_env: dict[str, str]) -> AsyncIterator[TerminalBot]:
    storage = await Storage.open(tmp_path / "fxbot.db", master_env)
    harness = TerminalBot(storage, TerminalBroker())
    try:
        yield harness
    finally:
        await harness.close()
        await storage.close()


@pytest.mark.parametrize("scope", ["trade", "full"])
async def test_a_read_only_key_linked_to_trade_is_refused_with_the_reason(bot: TerminalBot, scope: str) -> None:
    replies = await bot.say(f"/link {READ_ONLY_KEY} watch {scope}")
    text = reply_text(replies)
    # replies mask anything key-shaped, a bare prefix too: "an fxs_ro_*** key"
    assert "an fxs_ro_*** key is a read-only key" in text and f"cannot be linked as {scope}" in text, text
    assert "nothing was stored" in text and READ_ONLY_KEY not in text
    assert await bot.storage.keys.list_for_owner(bot.owner.id) == []
    assert bot.backend.secrets == []  # refused before FxSocket was asked


async def test_a_read_only_key_is_linked_read_only(bot: TerminalBot) -> None:
    text = reply_text(await bot.say(f"/link {READ_ONLY_KEY} watch"))
    stored = await bot.storage.keys.get_by_name(bot.owner.id, "watch")
    assert stored is not None and stored.scope is Scope.READ_ONLY
    assert "scope read-only" in text and "never trade" in text and READ_ONLY_KEY not in text


async def test_a_live_key_is_linked_full_with_the_master_key_warning_or_capped(bot: TerminalBot) -> None:
    replies = await bot.say(f"/link {LIVE_KEY} desk")
    text = reply_text(replies)
    assert replies[0].kind is ReplyKind.WARNING
    assert "scope full" in text and "master key" in text and "read-only key (fxs_ro_…)" in text
    assert LIVE_KEY not in text
    capped = reply_text(await bot.say(f"/link {LIVE_KEY} trade"))
    assert "now declared trade (it was full)" in capped and "fxbot keeps it to trade" in capped
    stored = await bot.storage.keys.get_by_name(bot.owner.id, "desk")
    assert stored is not None and stored.scope is Scope.TRADE
    assert "can do everything" in capped and LIVE_KEY not in capped
