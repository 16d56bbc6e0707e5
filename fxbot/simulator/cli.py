"""`fxbot sim`: command-line flags, the start banner, and running until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import TYPE_CHECKING, TextIO

from fxbot.domain.access import Scope
from fxbot.simulator.auth import key_scope_problem
from fxbot.simulator.config import SimConfig, offset_problem, suffix_problem

if TYPE_CHECKING:  # the runner brings FastAPI and uvicorn: imported only when the simulator starts
    from fxbot.simulator.runner import RunningSimulator

_SCOPES = tuple(scope.value for scope in Scope)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a whole number, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"port must be between 0 and 65535 (0 picks a free port), not {value}"
        )
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, not {text!r}") from None


def _tick_interval(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"tick interval must be a whole number of milliseconds, not {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"tick interval must be greater than 0 ms, not {value}")
    return value


def _key(text: str) -> tuple[str, str]:
    # Never quote the key itself in an error: it is a secret.
    scope, sep, key = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError("expected SCOPE=KEY, e.g. trade=sk_test_mykey")
    if scope not in _SCOPES:
        raise argparse.ArgumentTypeError(f"unknown scope {scope!r}; use one of {', '.join(_SCOPES)}")
    if not key or any(ch.isspace() for ch in key):
        raise argparse.ArgumentTypeError(f"the {scope} key must be non-empty and contain no spaces")
    mismatch = key_scope_problem(key, Scope(scope))
    if mismatch:
        raise argparse.ArgumentTypeError(f"{mismatch} (use full=fxs_live_… or read-only=fxs_ro_…)")
    return scope, key


def _utc_offset(text: str) -> int:
    try:
        value = int(text.strip().removeprefix("+"))
    except ValueError:
        message = f"server UTC offset must be whole hours such as 2 or -5, not {text!r}"
        raise argparse.ArgumentTypeError(message) from None
    problem = offset_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def _suffix(text: str) -> str:
    problem = suffix_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem} (e.g. m, .sd, -ECN)")
    return text


def add_sim_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `fxbot sim`."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8765, help="port (default 8765; 0 picks a free port)")
    parser.add_argument("--seed", type=_seed, default=None, help="market seed (default: random)")
    parser.add_argument(
        "--tick-interval-ms",
        type=_tick_interval,
        default=250,
        dest="tick_interval_ms",
        help="milliseconds between random-walk price steps (default 250)",
    )
    parser.add_argument(
        "--key",
        type=_key,
        action="append",
        default=None,
        metavar="SCOPE=KEY",
        help="an API key (SCOPE: read-only, trade or full; fxs_live_… full / fxs_ro_… read-only keys are keys "
        "of the SDK face); repeatable; replaces the generated keys of its face",
    )
    parser.add_argument(
        "--server-utc-offset",
        type=_utc_offset,
        default=None,
        dest="server_utc_offset",
        metavar="HOURS",
        help="SDK face: a fixed broker server time zone in whole hours (default UTC+2, UTC+3 while New York "
        "is on summer time)",
    )
    parser.add_argument(
        "--symbol-suffix",
        type=_suffix,
        default="",
        dest="symbol_suffix",
        metavar="SUFFIX",
        help="SDK face: broker suffix on every symbol name (m makes EURUSDm); default none",
    )


def config_from_args(args: argparse.Namespace) -> SimConfig:
    return SimConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        tick_interval_ms=args.tick_interval_ms,
        keys=list(args.key) if args.key else None,
        server_utc_offset_h=args.server_utc_offset,
        symbol_suffix=args.symbol_suffix,
        log_level="info",
        access_log=True,
    )


def print_banner(sim: RunningSimulator, out: TextIO) -> None:
    """The start banner; it deliberately shows the keys, for the local user who started the simulator."""
    lines = [
        f"FxSocket simulator running (seed {sim.state.seed})",
        f"  REST base URL: {sim.base_url}   (paths under /v1, controls under /_sim/)",
        f"  Stream URL:    {sim.stream_url}",
        "  API keys:",
    ]
    lines += [f"    {scope:<9} {key}" for scope, key in sim.state.keys.live_keys()]
    config = sim.state.config
    zone = "UTC+2, UTC+3 while New York is on summer time"
    if config.server_utc_offset_h is not None:
        zone = f"UTC{config.server_utc_offset_h:+d}"
    suffix = f", symbols named like EURUSD{config.symbol_suffix}" if config.symbol_suffix else ""
    lines += [
        "  SDK face (the official fxsocket SDK's protocol):",
        f"    Management URL: {sim.sdk_url}   (AsyncClient(api_key=…, base_url=this))",
        f"    Terminals:      {sim.base_url}/sdk/t/{{account_id}}  (WebSocket: …/ws)",
        f"    Server time:    {zone}{suffix}",
        "    SDK keys:",
    ]
    lines += [f"      sdk {scope:<9} {key}" for scope, key in sim.state.keys.live_keys(sdk=True)]
    lines.append("Press Ctrl-C to stop.")
    out.write("\n".join(lines) + "\n")
    out.flush()


async def serve(config: SimConfig, out: TextIO) -> int:
    """Run until SIGINT/SIGTERM; 0 on a clean stop, 1 when the simulator could not start."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    from fxbot.simulator.runner import start_simulator

    try:
        sim = await start_simulator(config)
    except OSError as exc:
        print(f"fxbot sim: error: {exc}", file=sys.stderr)
        return 1
    print_banner(sim, out)
    try:
        await stop.wait()
    finally:
        await sim.stop()
    out.write("FxSocket simulator stopped.\n")
    out.flush()
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry point of `fxbot sim` once flags are parsed."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"fxbot sim: error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(config, sys.stdout))
    except KeyboardInterrupt:
        return 0
