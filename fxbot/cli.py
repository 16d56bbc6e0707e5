"""The `fxbot` command line: parses argv and hands each subcommand to its module."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fxbot import maintenance_cli
from fxbot.adapters.discord import sync_cli as discord_sync
from fxbot.config import ConfigError, Settings, load_settings, validate_adapter_section
from fxbot.config_report import key_routes, redacted
from fxbot.domain.access import Scope
from fxbot.logging_setup import TERMINAL_CHAT_LOG, configure_logging, keep_logs_off_a_terminal_chat
from fxbot.plugins import load_plugin
from fxbot.scaleout.roles import ROLE_HELP, Role
from fxbot.simulator import cli as sim_cli
from fxbot.version import fxbot_version


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fxbot", description="Run MetaTrader accounts from chat via FxSocket.")
    parser.add_argument("--version", action="version", version=f"fxbot {fxbot_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    sim = commands.add_parser("sim", help="run the FxSocket simulator", description="Run the FxSocket simulator.")
    sim_cli.add_sim_arguments(sim)
    sim.set_defaults(handler=sim_cli.run)

    demo = commands.add_parser(
        "demo",
        help="simulator in-process + a console chat bound to a demo key",
        description="Start the FxSocket simulator on a free loopback port and open a console chat bound to a "
        "demo key. Reads one chat message per line from stdin; exits at end of input.",
    )
    demo.add_argument("--scope", choices=[s.value for s in Scope], default=Scope.TRADE.value,
                      help="scope of the demo key (default: trade)")
    demo.add_argument("--protocol", choices=["v1", "sdk"], default="v1",
                      help="the simulator's API the demo key belongs to: v1 (an sk_ key) or sdk (the terminal API "
                           "as the official fxsocket SDK speaks it: fxs_live_, or fxs_ro_ for read-only; default: v1)")
    demo.add_argument("--seed", type=int, default=None, help="random-walk seed (default: random)")
    demo.add_argument("--tick-interval-ms", type=_positive_int, default=500, help="price tick interval")
    demo.set_defaults(handler=_run_demo)

    console = commands.add_parser("console", help="a console chat against the configured FxSocket")
    console.add_argument("--config", type=Path, required=True, metavar="FILE")
    console.set_defaults(handler=_run_console)

    run = commands.add_parser(
        "run", help="run every chat adapter enabled in the config",
        description="Run the bot. With --role, this process runs one part of it and cooperates with the\n"
        "other processes through a shared PostgreSQL database (database.url); see docs/scaling-out.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="roles:\n" + "\n".join(f"  {role.value:<10} {text}" for role, text in ROLE_HELP.items()),
    )
    run.add_argument("--config", type=Path, required=True, metavar="FILE")
    run.add_argument("--role", choices=[role.value for role in Role], default=Role.ALL.value,
                     help="the part of the bot this process runs (default: all, everything in one process)")
    run.set_defaults(handler=_run_bot)

    sync = commands.add_parser(
        "discord-sync",
        help="sync Discord slash commands (only when they changed)",
        description="Push the slash commands generated from the command registry to Discord: to the given "
        "guilds (fast, for testing) or globally. Skips the push when the payload is unchanged.",
    )
    discord_sync.add_arguments(sync)
    sync.set_defaults(handler=discord_sync.run)

    grant = commands.add_parser(
        "grant-admin",
        help="make someone an fxbot admin of a group chat",
        description="Give a person the admin role in a group chat, from the host (the bot may be running). "
        "Needed on chat platforms that do not report their own chat admins, where nobody is admin until one "
        "is set. Ids are platform-qualified, as /members shows them.",
    )
    grant.add_argument("--config", type=Path, required=True, metavar="FILE")
    grant.add_argument("chat", metavar="CHAT_ID", help="e.g. telegram:-100123")
    grant.add_argument("user", metavar="USER_ID", help="e.g. telegram:42")
    grant.set_defaults(handler=_grant_admin)

    check = commands.add_parser("check-config", help="validate a config file and print it with secrets redacted")
    check.add_argument("file", type=Path, metavar="FILE")
    check.set_defaults(handler=_check_config)
    maintenance_cli.add_commands(commands, lambda path: _load(path, require_adapter=False))
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def _run_demo(args: argparse.Namespace) -> int:
    from fxbot.demo import DemoProtocol, run_demo

    configure_logging("WARNING")
    return asyncio.run(
        run_demo(
            scope=Scope(args.scope),
            stdin=sys.stdin,
            stdout=sys.stdout,
            env=os.environ,
            seed=args.seed,
            tick_interval_ms=args.tick_interval_ms,
            protocol=DemoProtocol(args.protocol),
        )
    )


def _adapter_problems(name: str, section: Mapping[str, Any]) -> list[str]:
    """An enabled adapter section checked by its plugin's settings model (the plugin is loaded for that)."""
    try:
        plugin = load_plugin(name)
        validate_adapter_section(name, plugin.settings_model, section)
    except ConfigError as error:
        return error.problems
    return []


def _load(path: Path, *, require_adapter: bool) -> Settings | None:
    """The validated settings, or None after printing every problem of the file at once."""
    try:
        return load_settings(path, os.environ, check_adapter=_adapter_problems, require_adapter=require_adapter)
    except ConfigError as error:
        print(f"{path}: the configuration has problems:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None


def _check_config(args: argparse.Namespace) -> int:
    settings = _load(args.file, require_adapter=True)
    if settings is None:
        return 1
    print(json.dumps(redacted(settings), indent=2, ensure_ascii=False))
    print("FxSocket keys are routed by their prefix:", file=sys.stderr)
    for line in key_routes(settings):
        print(f"  - {line}", file=sys.stderr)
    enabled = settings.enabled_adapters()
    print(f"OK: {args.file} is valid; chat adapters enabled: {', '.join(enabled)}", file=sys.stderr)
    return 0


def _grant_admin(args: argparse.Namespace) -> int:
    from fxbot.admin_grant import grant_admin
    from fxbot.errors import UserError
    from fxbot.storage import Storage, StorageError

    settings = _load(args.config, require_adapter=False)
    if settings is None:
        return 1

    async def grant() -> int:
        try:
            async with await Storage.open(settings.database.path, os.environ,
                                          url=settings.database.url_text()) as storage:
                member = await grant_admin(storage, args.chat, args.user)
        except (UserError, StorageError) as error:
            print(f"fxbot grant-admin: {error}", file=sys.stderr)
            return 1
        print(f"{member.display_name} ({member.user_id}) is now an admin of {args.chat}")
        return 0

    return asyncio.run(grant())


def _run_console(args: argparse.Namespace) -> int:
    settings = _load(args.config, require_adapter=False)  # the console is enabled below
    if settings is None:
        return 1
    overrides: dict[str, dict[str, Any]] = {name: {"enabled": False} for name in settings.adapters if name != "console"}
    overrides["console"] = {"enabled": True}
    return _serve(settings, overrides)


def _run_bot(args: argparse.Namespace) -> int:
    role = Role(getattr(args, "role", Role.ALL.value))
    settings = _load(args.config, require_adapter=role in (Role.ALL, Role.FRONT, Role.DELIVERY))
    if settings is None:
        return 1
    return _serve(settings, {}, role=role)


def _serve(settings: Settings, overrides: Mapping[str, Mapping[str, Any]], *, role: Role = Role.ALL) -> int:
    """Build and run the bot; 1 (after one clear line) when no chat adapter could start, so a service
    manager sees the failure. Adapters failing for a transient reason are retried, not given up on."""
    from fxbot.app import StartupFailed, build
    from fxbot.ops.server import OpsServerError
    from fxbot.storage import StorageError
    from fxbot.webhooks.server import WebhookServerError

    configure_logging(settings.logging.level)
    console = {**settings.adapter_section("console"), **overrides.get("console", {})}
    if ("console" in settings.adapters or "console" in overrides) and console.get("enabled", True):
        # A chat in this terminal: the log goes to a file from the start, never between its replies.
        keep_logs_off_a_terminal_chat(Path(console.get("log_file") or TERMINAL_CHAT_LOG),
                                      stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)

    async def main() -> int:
        try:
            app = await build(settings, env=os.environ, stdin=sys.stdin, stdout=sys.stdout,
                              adapter_overrides=overrides, role=role)
        except ConfigError as error:
            for problem in error.problems:
                print(f"  - {problem}", file=sys.stderr)
            return 1
        except StorageError as error:  # a database from a newer fxbot, in use by a restore, a wrong master key…
            print(f"fxbot: {error}", file=sys.stderr)
            return 1
        # What start-up made (imported code, the loaded alert rules) lives as long as the process: kept out of
        # the collector's full passes, which would otherwise stall the quote path some 15-20 ms each time.
        gc.collect()
        gc.freeze()
        try:
            await app.run()
        except (StartupFailed, OpsServerError, WebhookServerError) as error:
            print(f"fxbot: {error}", file=sys.stderr)
            return 1
        return 0

    return asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    """Run `fxbot …`; the process exit code (2 for bad flags)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2), message already printed
        return exc.code if isinstance(exc.code, int) else 2
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
