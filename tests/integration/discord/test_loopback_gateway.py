"""Smoke tests over the wire: the real client logs in and connects to a loopback Discord (REST + gateway),
an interaction sent over the gateway is answered over REST; `fxbot discord-sync` syncs only on change."""

from __future__ import annotations

import argparse
import asyncio
import io
from pathlib import Path
from typing import Any

import pytest

from fxbot.simulator.runner import RunningSimulator
from tests.fakes.discord_harness import ALICE, discord_app
from tests.fakes.discord_loopback import LoopbackDiscord

pytestmark = pytest.mark.timeout(60)


async def test_the_real_client_logs_in_identifies_and_answers_a_gateway_interaction(
    sim_paused: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with LoopbackDiscord() as fake:
        fake.point_discord_here(monkeypatch)
        async with discord_app(sim_paused, tmp_path, gateway=True, offline=False) as bot:
            await asyncio.wait_for(fake.identified.wait(), timeout=10)
            assert fake.identify is not None
            assert fake.identify["token"] == "test-token"
            assert fake.identify["intents"] == 1  # guilds only: no message content, no members
            await asyncio.wait_for(bot.adapter.client.wait_until_ready(), timeout=10)
            assert bot.adapter.client.user is not None and bot.adapter.client.user.name == "fxbot"
            assert [c.path for c in fake.wire.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]
            assert not fake.wire.find("PUT", "/commands")  # `fxbot run` never syncs on its own

            await fake.dispatch("INTERACTION_CREATE", fake.wire.slash("help", {}, user=ALICE, guild=False))
            answer = await fake.wire.wait_for("POST", "/callback")
            assert answer.body["type"] == 4  # /help is answered at once, without a defer
            assert "Commands" in answer.text()
        await asyncio.wait_for(fake.closed.wait(), timeout=10)  # an orderly close of the gateway


async def test_discord_sync_pushes_the_commands_once_and_then_only_on_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fxbot.adapters.discord import sync_cli

    config = tmp_path / "fxbot.yaml"
    config.write_text("database:\n  path: bot.db\ndiscord:\n  guild_ids: [800000000000000001]\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    sync_cli.add_arguments(parser)
    env = {"FXBOT_DISCORD__TOKEN": "test-token"}
    async with LoopbackDiscord() as fake:
        fake.point_discord_here(monkeypatch)
        out = io.StringIO()
        code = await asyncio.to_thread(sync_cli.run, parser.parse_args(["--config", str(config)]), env=env, out=out)
        assert code == 0, out.getvalue()
        puts = fake.wire.find("PUT", "/commands")
        assert [c.path.split("/")[3] for c in puts] == ["commands", "guilds"]  # global (DM-only ones) + guild
        assert {c["name"] for c in puts[0].body} == {"link", "keys", "unlink"}
        assert "buy" in {c["name"] for c in puts[1].body}
        assert (tmp_path / "bot.db.discord-sync.json").exists()

        again = io.StringIO()
        code = await asyncio.to_thread(sync_cli.run, parser.parse_args(["--config", str(config)]), env=env, out=again)
        assert code == 0
        assert len(fake.wire.find("PUT", "/commands")) == 2  # unchanged: nothing sent
        assert "unchanged" in again.getvalue()

        code = await asyncio.to_thread(sync_cli.run, parser.parse_args(["--config", str(config), "--guild", "42"]),
                                       env=env, out=io.StringIO())
        assert code == 0
        assert fake.wire.find("PUT", "/guilds/42/commands")  # a new scope is synced


async def test_a_front_process_connects_only_its_own_gateway_shard(
    sim_paused: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several fronts on one bot token: each identifies as its shard of the bot's total (discord: shard_ids)."""
    async with LoopbackDiscord() as fake:
        fake.point_discord_here(monkeypatch)
        async with discord_app(sim_paused, tmp_path, gateway=True, offline=False,
                               extra={"shard_count": 3, "shard_ids": [2]}) as bot:
            await asyncio.wait_for(fake.identified.wait(), timeout=10)
            assert fake.identify is not None and fake.identify["shard"] == [2, 3]
            assert bot.adapter.client.shard_id == 2 and bot.adapter.client.shard_count == 3


def test_shard_settings_are_checked_and_pick_the_client() -> None:
    import discord
    from pydantic import ValidationError

    from fxbot.adapters.discord.client import _gateway_client
    from fxbot.adapters.discord.plugin import DiscordSettings

    several = _gateway_client(DiscordSettings(token="t", shard_count=4, shard_ids=[0, 2]))
    assert isinstance(several, discord.AutoShardedClient) and several.shard_ids == [0, 2]
    assert several.shard_count == 4
    plain = _gateway_client(DiscordSettings(token="t"))
    assert not isinstance(plain, discord.AutoShardedClient) and plain.shard_id is None
    wrongs: list[tuple[dict[str, Any], str]] = [({"shard_ids": [1]}, "needs shard_count"),
                                                ({"shard_count": 2, "shard_ids": [2]}, "from 0 to 1"),
                                                ({"shard_count": 2, "shard_ids": [1, 1]}, "distinct")]
    for wrong, says in wrongs:
        with pytest.raises(ValidationError, match=says):
            DiscordSettings.model_validate({"token": "t", **wrong})
