"""The `fxbot` command line: parses argv and hands each subcommand to its module."""

from __future__ import annotations

import argparse

from fxbot.simulator import cli as sim_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fxbot", description="Run MetaTrader accounts from chat via FxSocket."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    sim = commands.add_parser(
        "sim", help="run the FxSocket simulator", description="Run the FxSocket simulator."
    )
    sim_cli.add_sim_arguments(sim)
    sim.set_defaults(handler=sim_cli.run)
    return parser


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
