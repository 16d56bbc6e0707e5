"""SimConfig: everything that shapes one simulator run (address, seed, timing, keys, limits)."""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.domain.access import Scope


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How to run the simulator.

    host/port: where to listen (port 0 picks a free port). seed: the market seed (None = random,
    chosen once at start and reused by /_sim/reset). keys: (scope, key) pairs replacing the
    generated ones (None = one generated `sk_test_…` key per scope).
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
            f"keys=<{count}>, market_paused={self.market_paused})"
        )


_SCOPES = {scope.value for scope in Scope}


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
            seen.add(key)
    return problems
