"""`fxbot discord-sync [--guild ID] --config FILE`: push the slash commands to Discord, only when they changed."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

STATE_SUFFIX = ".discord-sync.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The subcommand's flags (the lead wires `fxbot discord-sync` to add_arguments/run)."""
    parser.add_argument("--config", type=Path, required=True, metavar="FILE", help="the fxbot configuration")
    parser.add_argument("--guild", type=int, action="append", metavar="ID", default=None,
                        help="sync to this guild (testing: appears at once); repeatable. Default: "
                             "discord.guild_ids from the config, or global commands when there are none")
    parser.add_argument("--force", action="store_true", help="sync even when the commands did not change")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the command payload and whether it changed; contact nobody")


def state_path(database_path: Path) -> Path:
    """Where the hashes of the last synced payloads are kept: a file beside the database."""
    return database_path.with_name(database_path.name + STATE_SUFFIX)


def run(args: argparse.Namespace, *, env: dict[str, str] | None = None, out: TextIO | None = None) -> int:
    """Run the subcommand; 0 on success (synced or unchanged), 1 on a problem (printed to stderr)."""
    from fxbot.adapters.discord.plugin import DiscordSettings
    from fxbot.config import ConfigError, load_settings, validate_adapter_section

    stdout = out or sys.stdout
    environment = dict(os.environ if env is None else env)
    try:
        settings = load_settings(args.config, environment)
        section = validate_adapter_section("discord", DiscordSettings, settings.adapter_section("discord"))
    except ConfigError as error:
        print(f"{args.config}: the configuration has problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    assert isinstance(section, DiscordSettings)
    guilds: list[int] = list(args.guild) if args.guild else list(section.guild_ids)
    return asyncio.run(_sync(section, guilds, state_path(settings.database.path), args.force, args.dry_run, stdout))


async def _sync(settings: Any, guild_ids: list[int], state_file: Path, force: bool, dry_run: bool,
                out: TextIO) -> int:
    import discord
    from discord import app_commands

    from fxbot.adapters.discord.commands_sync import command_payload, install_commands, payload_hash
    from fxbot.chat.registry import CommandRegistry
    from fxbot.commands.catalog import register_all

    registry: CommandRegistry[Any] = CommandRegistry()
    register_all(registry)

    async def never_invoked(*_: Any) -> None:
        return None

    async def no_completion(*_: Any) -> list[app_commands.Choice[str]]:
        return []

    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    install_commands(tree, registry.all(), never_invoked, no_completion, guild_ids=guild_ids)
    scopes: list[int | None] = [None, *guild_ids]
    payloads = {scope: command_payload(tree, scope) for scope in scopes}
    if dry_run:
        for scope, payload in payloads.items():
            name = "global" if scope is None else f"guild {scope}"
            print(f"{name}: {len(payload)} commands, hash {payload_hash(payload)[:16]}", file=out)
        print(json.dumps({str(k or "global"): v for k, v in payloads.items()}, indent=2), file=out)
        return 0
    state = _load_state(state_file)
    try:
        await client.login(settings.token.get_secret_value())
        app_id = client.application_id
        for scope, payload in payloads.items():
            name = "global" if scope is None else f"guild {scope}"
            key = f"{app_id}:{'global' if scope is None else scope}"
            digest = payload_hash(payload)
            if state.get(key) == digest and not force:
                print(f"{name}: {len(payload)} commands unchanged — nothing to sync", file=out)
                continue
            await tree.sync(guild=discord.Object(id=scope) if scope is not None else None)
            state[key] = digest
            _save_state(state_file, state)
            print(f"{name}: synced {len(payload)} commands", file=out)
    except discord.LoginFailure:
        print("discord-sync: Discord refused the token (discord.token / FXBOT_DISCORD__TOKEN)", file=sys.stderr)
        return 1
    except discord.HTTPException as error:
        print(f"discord-sync: Discord answered HTTP {error.status}: {error.text[:200]}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"discord-sync: cannot reach Discord ({type(error).__name__})", file=sys.stderr)
        return 1
    finally:
        await client.close()
    if guild_ids:
        print("note: guild commands appear at once; the global ones (DM-only /link, /keys, /unlink) may take "
              "up to an hour", file=out)
    return 0


def _load_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_state(path: Path, state: dict[str, str]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
