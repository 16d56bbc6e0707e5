"""The `telegram:` settings section: token, Bot API server, allowed users, admin mapping, webhook options."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

DEFAULT_BASE_URL = "https://api.telegram.org/bot"


class TelegramSettings(BaseModel):
    """The `telegram:` section. The token may come from FXBOT_TELEGRAM__TOKEN instead of the file.

    - `base_url`: a self-hosted Bot API server ("http://host:8081" or ".../bot"; "{token}" allowed).
    - `allowed_users`: numeric Telegram user ids; empty means anyone may use the bot with their own key.
    - `admins_are_platform_admins`: Telegram group administrators count as fxbot admins of that group.
    - webhook mode when `webhook_url` is set (https, with `webhook_secret`); long polling otherwise.
    """

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    token: SecretStr
    base_url: str = DEFAULT_BASE_URL
    allowed_users: list[int] = Field(default_factory=list)
    admins_are_platform_admins: bool = True
    register_commands: bool = True
    poll_timeout_s: float = Field(default=30.0, ge=0, le=50)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=0, le=65535)
    webhook_path: str = "/telegram"
    webhook_cert: str | None = None
    webhook_key: str | None = None

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value().strip()
        if ":" not in secret or not secret.split(":", 1)[0].isdigit():
            raise ValueError("must be a bot token from @BotFather (digits, ':', then letters)")
        return SecretStr(secret)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("Telegram only calls https:// webhooks")
        return value

    @model_validator(mode="after")
    def _webhook_complete(self) -> TelegramSettings:
        if self.webhook_url is not None and not (self.webhook_secret and self.webhook_secret.get_secret_value()):
            raise ValueError("webhook_url needs webhook_secret (1-256 of A-Z, a-z, 0-9, _ and -)")
        if (self.webhook_cert is None) != (self.webhook_key is None):
            raise ValueError("webhook_cert and webhook_key go together")
        return self

    def api_base_url(self) -> str:
        """The base URL PTB appends the token to (or formats it into)."""
        return _with_suffix(self.base_url, "/bot")

    def file_base_url(self) -> str:
        base = self.base_url
        if "{token}" in base:
            return base.replace("/bot{token}", "/file/bot{token}")
        root = base.rstrip("/").removesuffix("/bot")
        return root + "/file/bot"


def _with_suffix(url: str, suffix: str) -> str:
    if "{token}" in url or url.endswith(suffix):
        return url
    return url.rstrip("/") + suffix
