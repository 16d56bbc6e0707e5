"""SimConfig: everything that shapes one simulator run (address, seed, timing, keys, limits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fxbot.domain.access import Scope
from fxbot.simulator.auth import key_scope_problem


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How to run the simulator.

    host/port: where to listen (port 0 picks a free port). seed: the market seed (None = random,
    chosen once at start and reused by /_sim/reset). keys: (scope, key) pairs replacing the
    generated ones of their face (`fxs_live_`/`fxs_ro_` keys are SDK keys, others /v1 keys; a face
    given none gets generated keys). server_utc_offset_h: the SDK face's broker server time
    (None = UTC+2, UTC+3 while New York is on summer time). symbol_suffix: appended to every
    symbol name on the SDK face (`m` gives `EURUSDm`). sdk_heartbeat_interval_s: seconds between
    `terminal` frames on the SDK stream.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    seed: int | None = None
    tick_interval_ms: int = 250
    ping_interval_s: float = 20.0
    keys: list[tuple[str, str]] | None = None
    market_paused: bool = False
    rate_limit_per_s: int = 60
    account_update_interval_ms: int = 250
    log_level: str = "warning"
    access_log: bool = False
    server_utc_offset_h: int | None = None
    symbol_suffix: str = ""
    sdk_heartbeat_interval_s: float = 1.0

    def __post_init__(self) -> None:
        problems = config_problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    def __repr__(self) -> str:
        # Keys are secrets: the repr names only how many there are.
        count = "generated" if self.keys is None else f"{len(self.keys)} given"
        return (
            f"SimConfig(host={self.host!r}, port={self.port}, seed={self.seed}, "
            f"tick_interval_ms={self.tick_interval_ms}, ping_interval_s={self.ping_interval_s}, "
            f"keys=<{count}>, market_paused={self.market_paused}, "
            f"server_utc_offset_h={self.server_utc_offset_h}, symbol_suffix={self.symbol_suffix!r})"
        )


_SCOPES = {scope.value for scope in Scope}
MAX_UTC_OFFSET_H = 14
SYMBOL_SUFFIX = re.compile(r"^[A-Za-z0-9._#-]{0,8}$")


def suffix_problem(suffix: str) -> str | None:
    """Why a broker symbol suffix is unusable, or None."""
    if SYMBOL_SUFFIX.match(suffix):
        return None
    return f"symbol suffix must be up to 8 letters, digits or . _ # -, not {suffix!r}"


def offset_problem(hours: int) -> str | None:
    """Why a fixed broker UTC offset is unusable, or None."""
    if -12 <= hours <= MAX_UTC_OFFSET_H:
        return None
    return f"server UTC offset must be whole hours between -12 and +{MAX_UTC_OFFSET_H}, not {hours}"


def config_problems(config: SimConfig) -> list[str]:
    """Every reason the config cannot run, as sentences (empty when it is fine); never quotes a key."""
    problems: list[str] = []
    if not config.host:
        problems.append("host must not be empty")
    if not 0 <= config.port <= 65535:
        problems.append(f"port must be between 0 and 65535, not {config.port}")
    if config.tick_interval_ms <= 0:
        problems.append(
            f"tick interval must be a positive number of milliseconds, not {config.tick_interval_ms}"
        )
    if config.ping_interval_s <= 0:
        problems.append(f"ping interval must be positive, not {config.ping_interval_s}")
    if config.rate_limit_per_s <= 0:
        problems.append(f"rate limit must be positive, not {config.rate_limit_per_s}")
    if config.account_update_interval_ms < 0:
        problems.append("account update interval must not be negative")
    if config.sdk_heartbeat_interval_s <= 0:
        problems.append(f"SDK heartbeat interval must be positive, not {config.sdk_heartbeat_interval_s}")
    if config.server_utc_offset_h is not None:
        problem = offset_problem(config.server_utc_offset_h)
        if problem:
            problems.append(problem)
    suffix = suffix_problem(config.symbol_suffix)
    if suffix:
        problems.append(suffix)
    if config.keys is not None:
        if not config.keys:
            problems.append("at least one key is needed when keys are given")
        seen: set[str] = set()
        for index, (scope, key) in enumerate(config.keys, start=1):
            if scope not in _SCOPES:
                problems.append(f"key #{index} has an unknown scope {scope!r} (use read-only, trade or full)")
            if not key or any(ch.isspace() for ch in key):
                problems.append(f"key #{index} must be non-empty and contain no spaces")
            elif key in seen:
                problems.append(f"key #{index} is given twice")
            elif scope in _SCOPES and (mismatch := key_scope_problem(key, Scope(scope))):
                problems.append(f"key #{index}: {mismatch}")
            seen.add(key)
    return problems
