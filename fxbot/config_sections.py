"""The core sections of the configuration file (fxsocket, database, logging, ops, webhooks, watchdog, notify)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

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
