"""The assembled app (fxbot.app.build) with the Discord adapter on a DiscordWire, against a simulator.

    async with discord_app(sim, tmp_path) as bot:           # logged in over the recorder, no gateway
        await bot.bind_channel(DESK, owner=ALICE, scope="trade", members={BOB: Role.TRADER})
        bot.wire.inject(bot.wire.slash("buy", {...}, user=ALICE, channel_id=DESK))
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from fxbot.adapters.discord.client import DiscordAdapter
from fxbot.app import App, build
from fxbot.config import parse_settings
from fxbot.domain.access import Role, Scope
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.discord_wire import DiscordPerson, DiscordWire

DESK = 700_000_000_000_000_001  # a guild text channel
ALICE = DiscordPerson(600_000_000_000_000_001, "alice")
BOB = DiscordPerson(600_000_000_000_000_002, "bob")
ADMIN = DiscordPerson(600_000_000_000_000_003, "boss", admin=True)


def fresh_env() -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {"FXBOT_SECRET_KEY": Fernet.generate_key().decode("ascii")}


@dataclass
class DiscordBot:
    app: App
    adapter: DiscordAdapter
    wire: DiscordWire
    sim: RunningSimulator
    control: httpx.AsyncClient

    async def bind_channel(self, channel_id: int, *, owner: DiscordPerson, scope: str = "trade",
                           members: Mapping[DiscordPerson, Role] | None = None) -> str:
        """Store the simulator's key of `scope` for `owner`, bind it to the channel, set the roles."""
        chat_id = f"discord:{channel_id}"
        owner_id = f"discord:{owner.id}"
        storage = self.app.storage
        key = await storage.keys.find_by_secret(owner_id, self.sim.keys[scope])
        if key is None:
            key = await storage.keys.add(owner_id, f"sim-{scope}", self.sim.keys[scope], Scope(scope))
        await storage.bindings.bind(chat_id, key.id, owner_id)
        await storage.members.set_role(chat_id, owner_id, Role.ADMIN, owner.name)
        for person, role in (members or {}).items():
            await storage.members.set_role(chat_id, f"discord:{person.id}", role, person.name)
        return chat_id

    async def positions(self) -> list[dict[str, Any]]:
        answer = await self.control.get(f"{self.sim.base_url}/v1/positions",
                                        headers={"Authorization": f"Bearer {self.sim.keys['full']}"})
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()
        return result

    async def fault(self, **body: Any) -> None:
        answer = await self.control.post(f"{self.sim.base_url}/_sim/faults", json=body)
        answer.raise_for_status()

    async def set_quote(self, symbol: str, bid: float, ask: float) -> None:
        answer = await self.control.post(f"{self.sim.base_url}/_sim/quotes/{symbol}", json={"bid": bid, "ask": ask})
        answer.raise_for_status()


@contextlib.asynccontextmanager
async def discord_app(sim: RunningSimulator, tmp_path: Path, *, gateway: bool = False, offline: bool = True,
                      extra: Mapping[str, Any] | None = None) -> AsyncIterator[DiscordBot]:
    """The real app with only the Discord adapter enabled, its HTTP layers replaced by a DiscordWire
    (`offline=False`: the real HTTP layers, e.g. towards a LoopbackDiscord; `bot.wire` then records nothing)."""
    env = fresh_env()
    raw = {"fxsocket": {"base_url": sim.base_url, "stream_url": sim.stream_url},
           "database": {"path": str(tmp_path / "fxbot.db")}}
    settings = parse_settings(raw, env)
    overrides = {"discord": {"token": "test-token", **(extra or {})}}
    wire = DiscordWire()
    extras: dict[str, Any] = {"discord.gateway": gateway}
    if offline:
        extras["discord.transport"] = wire.attach  # the adapter hands its client over at start()
    app = await build(settings, env=env, adapter_overrides=overrides, adapter_extras={"discord": extras})
    adapter = next(a for a in app.adapters if isinstance(a, DiscordAdapter))
    if not offline:
        wire.client = adapter.client  # records nothing, but can still inject interactions
    control = httpx.AsyncClient(timeout=10.0)
    try:
        await adapter.start()
        yield DiscordBot(app=app, adapter=adapter, wire=wire, sim=sim, control=control)
    finally:
        try:
            await adapter.stop()
        finally:
            wire.uninstall()
            await control.aclose()
            await app.close()
