"""e2e: a chat adapter from another package, registered under `fxbot.adapters`, that declares no platform facts.

It gets the conservative defaults: nobody is admin in its groups until an fxbot admin is set (even someone
its adapter flags as a platform admin), its chats are paced as groups, its messages split at 2000 characters.
The plugin is a real installed distribution (a .dist-info on sys.path), found through entry points."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fxbot.admin_grant import grant_admin
from fxbot.app import App, build, delivery_targets
from fxbot.chat.types import ChatKind, ChatRef, ChatUser, IncomingCommand, Reply, ReplyKind
from fxbot.config import DatabaseSettings, FxSocketSettings, Settings
from fxbot.domain.access import Role
from fxbot.notify.pacing import DEFAULT_LIMITS
from fxbot.plugins import DEFAULT_FACTS, available_plugins
from fxbot.simulator.runner import RunningSimulator
from tests.e2e.conftest import reply_text

PLUGIN = "fxtestchat"
MODULE = "fxbot_fxtestchat_plugin"
PLUGIN_SOURCE = '''
"""A third-party chat adapter for fxbot's tests: it declares no platform facts at all."""
from pydantic import BaseModel, ConfigDict


class FxTestChatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True


class FxTestChatAdapter:
    name = "fxtestchat"

    def __init__(self, runtime):
        self.runtime = runtime
        self.sent = []

    async def start(self):
        return None

    async def stop(self):
        return None

    async def send(self, chat, reply):
        self.sent.append((chat, reply))
        return None


class FxTestChatPlugin:
    name = "fxtestchat"
    settings_model = FxTestChatSettings

    def create(self, settings, runtime):
        return FxTestChatAdapter(runtime)
'''

ROOM = ChatRef(f"{PLUGIN}:room-1", ChatKind.GROUP, PLUGIN, title="desk")
EVE = ChatUser(f"{PLUGIN}:eve", "eve")
MALLORY = ChatUser(f"{PLUGIN}:mallory", "mallory", is_platform_admin=True)  # the adapter says so; unproven


def _install_plugin(site: Path) -> None:
    site.mkdir()
    (site / f"{MODULE}.py").write_text(PLUGIN_SOURCE)
    info = site / f"{MODULE}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {MODULE}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent(f"""\
            [fxbot.adapters]
            {PLUGIN} = {MODULE}:FxTestChatPlugin
        """))


@pytest.fixture
async def app(sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str],
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    _install_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert PLUGIN in available_plugins()
    settings = Settings(
        fxsocket=FxSocketSettings(base_url=sim_paused.base_url, stream_url=sim_paused.stream_url),
        database=DatabaseSettings(path=tmp_path / "fxbot.db"),
        adapters={PLUGIN: {}},
    )
    built = await build(settings, env=master_env)
    try:
        yield built
    finally:
        await built.close()


async def say(app: App, user: ChatUser, text: str, chat: ChatRef | None = None) -> list[Reply]:
    where = chat or ChatRef(f"{PLUGIN}:dm-{user.display_name}", ChatKind.PRIVATE, PLUGIN)
    adapter: Any = app.adapters[0]
    replies: list[Reply] = await adapter.runtime.handler.handle(IncomingCommand(user=user, chat=where, text=text))
    return replies


async def test_nobody_is_admin_in_its_groups_until_an_fxbot_admin_is_set(
        app: App, sim_paused: RunningSimulator) -> None:
    for person in (EVE, MALLORY):  # each links a key of their own in their private chat (its owner there)
        linked = await say(app, person, f"/link {sim_paused.keys['trade']} desk")
        assert linked[0].kind is ReplyKind.OK, reply_text(linked)

    for person in (EVE, MALLORY):  # a random member, and one whose adapter flags them as platform admin
        refused = await say(app, person, "/bind desk", ROOM)
        assert refused[0].kind is ReplyKind.ERROR and "needs a chat admin" in reply_text(refused)
        role = await say(app, person, f"/role @{person.display_name} admin", ROOM)
        assert role[0].kind is ReplyKind.ERROR
    assert await app.storage.bindings.get(ROOM.id) is None
    assert await app.storage.members.count_admins(ROOM.id) == 0

    await grant_admin(app.storage, ROOM.id, EVE.id)  # what `fxbot grant-admin` does on the host
    bound = await say(app, EVE, "/bind desk", ROOM)
    assert bound[0].kind is ReplyKind.OK and "now uses key 'desk'" in reply_text(bound)
    still = await say(app, MALLORY, "/role @mallory admin", ROOM)
    assert still[0].kind is ReplyKind.ERROR
    member = await app.storage.members.get(ROOM.id, MALLORY.id)
    assert member is not None and member.role is Role.VIEWER


async def test_it_gets_the_conservative_platform_defaults(app: App) -> None:
    assert app.platforms.facts(PLUGIN) is DEFAULT_FACTS
    assert app.services.alerts.outbox.chat_kind(f"{PLUGIN}:anything") is ChatKind.GROUP
    assert app.platforms.pacing_limits() == {PLUGIN: DEFAULT_LIMITS}  # what the notifier paces it by
    assert delivery_targets(app.adapters, app.platforms)[PLUGIN].message_limit == 2000
    assert not DEFAULT_FACTS.reports_admins
