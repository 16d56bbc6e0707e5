"""Settings: a YAML file plus FXBOT_* environment overrides, validated by pydantic; secrets never printed.

The core sections' models are in config_sections.py; what `check-config` shows (key routes, secrets hidden) in
config_report.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fxbot.config_sections import (
    DEFAULT_MANAGEMENT_URL,
    DatabaseSettings,
    FxSocketSettings,
    LoggingSettings,
    NotifySettings,
    OpsSettings,
    WatchdogSettings,
    WebhookSettings,
)
from fxbot.scaleout.settings import ScaleOutSettings

# The section models (fxbot/config_sections.py) are part of the configuration's public names, importable from here.
__all__ = [
    "CORE_SECTIONS", "DEFAULT_MANAGEMENT_URL", "ENV_PREFIX", "NOTHING_TO_RUN", "RESERVED_ENV", "AdapterCheck",
    "ConfigError", "DatabaseSettings", "FxSocketSettings", "LoggingSettings", "NotifySettings", "OpsSettings",
    "Settings", "WatchdogSettings", "WebhookSettings", "load_settings", "parse_settings", "validate_adapter_section",
]

ENV_PREFIX = "FXBOT_"
#: Environment variables that are not section overrides.
RESERVED_ENV = frozenset({"FXBOT_SECRET_KEY"})
CORE_SECTIONS = frozenset({"fxsocket", "database", "logging", "ops", "webhooks", "watchdog", "notify", "scaleout"})
NOTHING_TO_RUN = ("nothing to run: no chat adapter is enabled — add a console:, telegram: or discord: section"
                  " (see config.example.yaml)")

AdapterCheck = Callable[[str, Mapping[str, Any]], list[str]]
"""Validates one enabled adapter section (loading its plugin); returns its problems, by key."""


class ConfigError(Exception):
    """A configuration that cannot be used; `problems` lists what is wrong, by key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


class Settings(BaseModel):
    """The whole configuration. Adapter sections are kept raw here and validated by their plugin."""

    model_config = ConfigDict(extra="forbid")
    fxsocket: FxSocketSettings = Field(default_factory=FxSocketSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    ops: OpsSettings = Field(default_factory=OpsSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    watchdog: WatchdogSettings = Field(default_factory=WatchdogSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    scaleout: ScaleOutSettings = Field(default_factory=ScaleOutSettings)  # several processes (fxbot run --role)
    adapters: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def adapter_section(self, name: str) -> dict[str, Any]:
        """The raw settings of one adapter (empty when absent)."""
        return dict(self.adapters.get(name, {}))

    def enabled_adapters(self) -> list[str]:
        """Adapter names whose section says `enabled: true` (a section without the flag counts as enabled)."""
        return [name for name, section in self.adapters.items() if section.get("enabled", True)]


def _env_overrides(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """FXBOT_SECTION__KEY=value pairs as nested dicts (FXBOT_TELEGRAM__TOKEN -> telegram.token)."""
    out: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in RESERVED_ENV or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].partition("__")
        if section and key:
            out.setdefault(section.lower(), {})[key.lower()] = value
    return out


def _describe(error: ValidationError, prefix: str = "") -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        problems.append(f"{prefix}{where}: {item['msg']}")
    return problems


def parse_settings(
    raw: Mapping[str, Any] | None,
    env: Mapping[str, str],
    *,
    check_adapter: AdapterCheck | None = None,
    require_adapter: bool = False,
) -> Settings:
    """Validate raw YAML data merged with environment overrides; ConfigError lists every problem at once.

    The core sections, every enabled adapter section (with `check_adapter`, which loads its plugin) and,
    with `require_adapter`, "is anything enabled at all" are all checked before anything is reported.
    """
    data: dict[str, Any] = {}
    if raw is not None:
        if not isinstance(raw, Mapping):
            raise ConfigError(["(top level): must be a mapping of sections such as fxsocket:, database:"])
        data = {str(k): v for k, v in raw.items()}
    for section, values in _env_overrides(env).items():
        current = data.get(section)
        merged = dict(current) if isinstance(current, Mapping) else {}
        merged.update(values)
        data[section] = merged
    core: dict[str, Any] = {}
    adapters: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for section, values in data.items():
        if section in CORE_SECTIONS:
            core[section] = values
        elif isinstance(values, Mapping):
            adapters[section] = {str(k): v for k, v in values.items()}
        elif values is None:
            adapters[section] = {}
        else:
            problems.append(f"{section}: must be a mapping of settings")
    settings: Settings | None = None
    try:
        settings = Settings(**core, adapters=adapters)
    except ValidationError as error:
        problems.extend(_describe(error))
    enabled = [name for name, section in adapters.items() if section.get("enabled", True)]
    if check_adapter is not None:
        for name in enabled:
            problems.extend(check_adapter(name, adapters[name]))
    if require_adapter and not enabled:
        problems.append(NOTHING_TO_RUN)
    if problems or settings is None:
        raise ConfigError(problems)
    return settings


def load_settings(
    path: Path,
    env: Mapping[str, str],
    *,
    check_adapter: AdapterCheck | None = None,
    require_adapter: bool = False,
) -> Settings:
    """Read and validate a YAML configuration file (every problem at once, see parse_settings)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except OSError as error:
        raise ConfigError([f"{path}: cannot be read ({error.strerror})"]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}: not valid YAML ({error})"]) from None
    settings = parse_settings(raw, env, check_adapter=check_adapter, require_adapter=require_adapter)
    if not settings.database.path.is_absolute():
        settings.database.path = (path.parent / settings.database.path).resolve()
    return settings


def validate_adapter_section(name: str, model: type[BaseModel], section: Mapping[str, Any]) -> BaseModel:
    """Validate one adapter's section with its plugin's settings model; ConfigError names the keys."""
    try:
        return model.model_validate(dict(section))
    except ValidationError as error:
        raise ConfigError(_describe(error, prefix=f"{name}.")) from None
