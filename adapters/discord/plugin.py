"""Entry point `discord` of the `fxbot.adapters` group: the `discord:` settings, platform facts and the factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from fxbot.chat.confirmations import DEFAULT_TTL_SECONDS
from fxbot.chat.types import ChatKind
from fxbot.notify.pacing import PacingLimits
from fxbot.plugins import AdapterRuntime, PlatformFacts

if TYPE_CHECKING:
    from fxbot.adapters.discord.client import DiscordAdapter


DM_LOCAL_PREFIX = "dm:"
"""A private chat with the bot is "discord:dm:<user id>"; every other chat id is a guild channel."""


def discord_chat_kind(local_id: str) -> ChatKind:
    return ChatKind.PRIVATE if local_id.startswith(DM_LOCAL_PREFIX) else ChatKind.GROUP


DISCORD_FACTS = PlatformFacts(
    message_limit=2000,  # message content; embeds have their own limits (adapters/discord/render.py)
    # discord.py waits out per-route 429s itself; this paces our own fan-out of notifications.
    pacing=PacingLimits(per_chat_rate=1.0, per_chat_burst=3, group_per_minute=20, global_per_second=25),
    chat_kind=discord_chat_kind,
    reports_admins=True,  # Manage Server / Administrator arrive as ChatUser.is_platform_admin
)


class DiscordSettings(BaseModel):
    """The `discord:` section. The token may come from the environment (FXBOT_DISCORD__TOKEN)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    token: SecretStr
    guild_ids: list[int] = Field(default_factory=list)  # commands guild-scoped there (testing); else global
    allowed_users: list[int] = Field(default_factory=list)  # Discord user ids; empty: everyone
    admins_are_platform_admins: bool = True  # Manage Server / Administrator count as platform admins
    confirm_timeout_s: float = Field(default=DEFAULT_TTL_SECONDS, gt=0, le=900)
    # Gateway shards this process connects (several front processes on one bot token each take some):
    # shard_count = the bot's total, shard_ids = this process's share; both unset = one unsharded connection.
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordSettings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError("shard_ids needs shard_count (the bot's total number of shards)")
        count = self.shard_count or 1
        wrong = [i for i in self.shard_ids if not 0 <= i < count]
        if wrong or len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError(f"shard_ids must be distinct numbers from 0 to {count - 1} (shard_count {count}),"
                             f" got {self.shard_ids}")
        return self

    @field_validator("token")
    @classmethod
    def _token_given(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty — set discord.token or FXBOT_DISCORD__TOKEN")
        return value

    @field_validator("guild_ids", "allowed_users")
    @classmethod
    def _snowflakes(cls, value: list[int]) -> list[int]:
        for item in value:
            if item <= 0:
                raise ValueError(f"{item} is not a Discord id")
        return value


class DiscordPlugin:
    """Creates the Discord adapter (imports discord.py only when the adapter is enabled)."""

    name = "discord"
    settings_model = DiscordSettings
    facts = DISCORD_FACTS

    def create(self, settings: DiscordSettings, runtime: AdapterRuntime) -> DiscordAdapter:
        from fxbot.adapters.discord.client import DiscordAdapter

        return DiscordAdapter(settings, runtime)
