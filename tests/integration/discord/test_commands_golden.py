"""The synced slash-command payload against a reviewed golden file (FXBOT_UPDATE_GOLDEN=1 rewrites it)."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from fxbot.adapters.discord.commands_sync import DESCRIPTION_LIMIT, command_payload, install_commands
from fxbot.chat.registry import CommandRegistry
from fxbot.commands.catalog import register_all

GOLDEN = Path(__file__).parent / "golden" / "commands.json"
UPDATE_ENV = "FXBOT_UPDATE_GOLDEN"


def _payload(guild_ids: tuple[int, ...] = ()) -> dict[str, list[dict[str, Any]]]:
    registry: CommandRegistry[Any] = CommandRegistry()
    register_all(registry)

    async def invoke(*_: Any) -> None:
        return None

    async def complete(*_: Any) -> list[app_commands.Choice[str]]:
        return []

    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    install_commands(tree, registry.all(), invoke, complete, guild_ids=guild_ids)
    scopes: dict[str, list[dict[str, Any]]] = {"global": command_payload(tree)}
    for guild in guild_ids:
        scopes[f"guild {guild}"] = command_payload(tree, guild)
    return scopes


def test_synced_command_payload_matches_the_golden_file() -> None:
    payload = _payload()["global"]
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get(UPDATE_ENV) == "1":
        GOLDEN.write_text(text, encoding="utf-8")
    if not GOLDEN.exists():
        GOLDEN.write_text(text, encoding="utf-8")
        raise AssertionError(f"{GOLDEN} did not exist; it was written — review it and commit it")
    expected = GOLDEN.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True), text.splitlines(keepends=True),
                                            "golden/commands.json", "generated"))
        print(diff)
        raise AssertionError(f"the slash commands changed — review the diff above; if intended, rerun with "
                             f"{UPDATE_ENV}=1 to update {GOLDEN.name}")
    # Discord's own limits, so a registry change cannot produce a payload Discord rejects at sync time.
    names = [c["name"] for c in payload]
    assert len(names) == len(set(names)) and len(names) <= 100
    for command in payload:
        assert 1 <= len(command["description"]) <= DESCRIPTION_LIMIT, command["name"]
        options = command.get("options", [])
        assert len(options) <= 25
        required = [o["required"] for o in options]
        assert required == sorted(required, reverse=True), f"/{command['name']}: required options first"
        for option in options:
            assert 1 <= len(option["description"]) <= DESCRIPTION_LIMIT, (command["name"], option["name"])
            assert len(option.get("choices", [])) <= 25
            assert not (option.get("choices") and option.get("autocomplete"))
    by_name = {c["name"]: c for c in payload}
    volume = next(o for o in by_name["buy"]["options"] if o["name"] == "volume")
    assert volume["type"] == 10 and volume["min_value"] == 0.01 and volume["max_value"] == 100.0
    assert next(o for o in by_name["candles"]["options"] if o["name"] == "timeframe")["choices"][0]["value"] == "M1"
    assert by_name["link"]["contexts"] == [1]  # keys are linked only in DMs


def test_guild_mode_keeps_the_dm_only_commands_global() -> None:
    scopes = _payload((800_000_000_000_000_001,))
    assert sorted(c["name"] for c in scopes["global"]) == ["keys", "link", "unlink"]
    guild_names = {c["name"] for c in scopes["guild 800000000000000001"]}
    assert "buy" in guild_names and "link" not in guild_names
