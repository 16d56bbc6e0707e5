"""Runs the assembled app (fxbot.app.build) with the Telegram adapter on the fake Bot API, for e2e tests.

    async with telegram_app(sim_paused, tmp_path) as tg:
        alice = tg.api.user(101, "Alice", username="alice")
        await tg.say(alice, "/link " + sim.keys["trade"])              # private chat, waits for the reply
        reply = await tg.say(alice, "/buy EURUSD 2")                   # -> the Call of the bot's answer
        await tg.press(alice, "Confirm")                               # the last card in alice's chat

`tg.api` is the FakeBotApi; `tg.app` the App; pacing is relaxed so tests stay fast.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fxbot.adapters.telegram.adapter import TelegramAdapter
from fxbot.app import App, build
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.notify.pacing import PacingLimits
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_calls import JSON, Call
from tests.fakes.telegram_transports import FakeBotRequest

FAST_PACING = PacingLimits(per_chat_rate=50.0, per_chat_burst=10, group_per_minute=600, global_per_second=100)


def _master_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


@dataclass
class TelegramRun:
    """The running app, its Telegram adapter and the fake Bot API behind it."""

    app: App
    adapter: TelegramAdapter
    api: FakeBotApi

    async def say(self, user: JSON, text: str, *, chat: JSON | None = None, thread_id: int | None = None,
                  expect: Callable[[Call], bool] | None = None, count: int = 1) -> Call:
        """`user` writes `text` (in their private chat unless `chat`); returns the bot's next message there."""
        where = chat or self.api.private_chat(user)
        before = len(self.api.sent(where["id"]))
        self.api.send_text(where, user, text, thread_id=thread_id)
        return await self.api.wait_for(
            "sendMessage", lambda c: c.chat_id == where["id"] and (expect is None or expect(c)),
            count=before + count if expect is None else count,
        )

    async def press(self, user: JSON, label: str, *, chat_id: int | None = None) -> None:
        """`user` presses `label` on the bot's latest message in the chat (their private chat by default)."""
        self.api.press(user, self.api.last_message(chat_id or user["id"]), label)


@contextlib.asynccontextmanager
async def telegram_app(sim: RunningSimulator, tmp_path: Path, **telegram: Any) -> AsyncIterator[TelegramRun]:
    """build() the real app with `telegram:` settings (token of the fake + `telegram`), start it, stop it."""
    api = FakeBotApi()
    settings = Settings(
        fxsocket=FxSocketSettings(base_url=sim.base_url, stream_url=sim.stream_url),
        database=DatabaseSettings(path=tmp_path / "fxbot.db"),
    )
    section = {"token": FakeBotApi.TOKEN, **telegram}
    extras = {"telegram_request": FakeBotRequest(api), "telegram_pacing": FAST_PACING}
    app = await build(settings, env={"FXBOT_SECRET_KEY": _master_key()}, adapter_overrides={"telegram": section},
                      adapter_extras={"telegram": extras})
    adapter = next(a for a in app.adapters if isinstance(a, TelegramAdapter))
    task = asyncio.create_task(app.run(install_signal_handlers=False))
    try:
        await api.wait_for("getUpdates", lambda c: c.params.get("timeout") != "0")
        yield TelegramRun(app=app, adapter=adapter, api=api)
    finally:
        app.request_shutdown()
        await asyncio.wait_for(task, 15)
