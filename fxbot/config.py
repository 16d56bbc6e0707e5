"""Settings: a YAML file plus FXBOT_* environment overrides, validated by pydantic; secrets never printed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from fxbot.domain.access import Scope
from fxbot.domain.key_scopes import key_scopes
from fxbot.scaleout.settings import ScaleOutSettings

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


DEFAULT_MANAGEMENT_URL = "https://api.fxsocket.com/v1"


class FxSocketSettings(BaseModel):
    """Where the FxSocket APIs live, per kind of key.

    `sk_…` keys speak the public `/v1` API: REST at `base_url`, the stream at `stream_url`.
    `fxs_live_…` / `fxs_ro_…` keys speak the official SDK's protocol: the management API at
    `management_url`, which names each account's own terminal REST and WebSocket URLs.
    """

    model_config = ConfigDict(extra="forbid")
    base_url: str = "https://api.fxsocket.com"
    stream_url: str = "wss://ws.fxsocket.com/v1/stream"
    management_url: str = DEFAULT_MANAGEMENT_URL

    @field_validator("base_url", "management_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("stream_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value


class DatabaseSettings(BaseModel):
    """Where keys, bindings, roles, settings and the audit log live: a SQLite file, or PostgreSQL with `url`.

    With `url` (postgresql://user:password@host:5432/dbname, env FXBOT_DATABASE__URL) the data is in
    PostgreSQL and `path` only places the fxbot.key file (unless FXBOT_SECRET_KEY is set)."""

    model_config = ConfigDict(extra="forbid")
    path: Path = Path("fxbot.db")
    url: SecretStr | None = None
    pool_size: int = Field(default=10, ge=2, le=200)

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        text = "" if value is None else value.get_secret_value().strip()
        if not text:
            return None
        if not text.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL (leave it out to use the SQLite file at database.path)")
        return SecretStr(text)

    def url_text(self) -> str | None:
        """The PostgreSQL URL (it may hold a password: never log it), or None for SQLite."""
        return None if self.url is None else self.url.get_secret_value()


class LoggingSettings(BaseModel):
    """Log level for the whole process."""

    model_config = ConfigDict(extra="forbid")
    level: str = "INFO"

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper


class OpsSettings(BaseModel):
    """The optional operator HTTP endpoint: /healthz, /readyz and /metrics (off unless enabled)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)
    stream_budget_s: float = Field(default=120.0, gt=0)  # a stream may reconnect this long and still be ready


class WebhookSettings(BaseModel):
    """The optional webhook receiver (TradingView and other senders to commands; off unless enabled).

    `public_url` is the address senders use (a reverse proxy with TLS in front of host:port); endpoints
    created with /webhook are shown as `{public_url}/webhook/{token}`."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    public_url: str | None = None
    max_body_bytes: int = Field(default=16_384, ge=256, le=1_048_576)
    rate_limit_per_minute: int = Field(default=30, ge=1, le=10_000)
    trusted_proxies: list[str] = Field(default_factory=list)  # their X-Forwarded-For names the sender (allow-lists)

    @field_validator("public_url")
    @classmethod
    def _public_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// behind your own proxy)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _public_url_when_enabled(self) -> WebhookSettings:
        if self.enabled and self.public_url is None:
            raise ValueError("webhooks.public_url is required when webhooks are enabled (the address senders use)")
        return self


class WatchdogSettings(BaseModel):
    """The watchdog: how long a condition lasts before the bound chats are told, and the optional dead-man ping.

    `heartbeat_url` (a healthchecks.io-style monitor) is requested every `heartbeat_interval_s` while nothing
    is wrong; a failed ping is logged and never blocks anything."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    check_interval_s: float = Field(default=15.0, gt=0)
    stream_down_after_s: float = Field(default=60.0, ge=0)
    stream_silent_after_s: float = Field(default=300.0, gt=0)
    rest_failing_after_s: float = Field(default=60.0, ge=0)
    heartbeat_url: str | None = None
    heartbeat_interval_s: float = Field(default=60.0, gt=0)

    @field_validator("heartbeat_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http://)")
        return value


class NotifySettings(BaseModel):
    """Notifications: how long the action buttons on fill and alert notifications (Close, Snooze 1h …) work."""

    model_config = ConfigDict(extra="forbid")
    button_ttl_hours: float = Field(default=24.0, gt=0, le=24 * 30)


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


def key_routes(settings: Settings) -> list[str]:
    """Where each kind of FxSocket key goes with these settings (for `check-config`), and what the console's
    configured key is — by its prefix only, never the key."""
    fx = settings.fxsocket
    lines = [
        f"sk_… keys (the /v1 API): REST at {fx.base_url}, stream at {fx.stream_url}",
        f"fxs_live_… (full) and fxs_ro_… (read-only) keys (the terminal API, as the official fxsocket SDK "
        f"speaks it): management at {fx.management_url}, which names each account's terminal REST and stream",
    ]
    console = settings.adapters.get("console")
    secret = console.get("api_key") if console is not None and console.get("enabled", True) else None
    if isinstance(secret, str) and secret.strip():
        scopes = key_scopes(secret)
        if scopes.prefix is None:
            lines.append("console.api_key: not an FxSocket key prefix (sk_…, fxs_live_…, fxs_ro_…) — FxSocket "
                         "will refuse it")
        else:
            where = "the /v1 API" if scopes.prefix.startswith("sk_") else "the terminal API"
            lines.append(f"console.api_key: an {scopes.prefix}… key, for {where}")
            declared = str(console.get("scope", Scope.TRADE.value)) if console is not None else Scope.TRADE.value
            if declared in {s.value for s in Scope} and not scopes.allows(Scope(declared)):
                lines.append(f"console.scope: {declared} is more than an {scopes.prefix}… key can do — it is "
                             f"linked as {scopes.ceiling.value}")
    return lines


def redacted(value: Any) -> Any:
    """A JSON-able copy of settings data with every secret replaced by '***'."""
    if isinstance(value, SecretStr):
        return "***" if value.get_secret_value() else ""
    if isinstance(value, BaseModel):
        return {name: redacted(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, Mapping):
        return {
            str(k): ("***" if _looks_secret(str(k)) and v else redacted(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in ("token", "secret", "password", "api_key", "apikey"))
