"""The `telegram` adapter plugin: the factory the composition root calls, its settings model and platform facts."""

from __future__ import annotations

from typing import Any

from fxbot.adapters.telegram.adapter import TelegramAdapter
from fxbot.adapters.telegram.render import MESSAGE_LIMIT
from fxbot.adapters.telegram.settings import TelegramSettings
from fxbot.chat.types import ChatKind
from fxbot.notify.pacing import PacingLimits
from fxbot.plugins import AdapterRuntime, PlatformFacts

__all__ = ["TELEGRAM_FACTS", "TelegramPlugin", "TelegramSettings"]


def telegram_chat_kind(local_id: str) -> ChatKind:
    """Telegram groups and supergroups have negative chat ids; a private chat's id is the user's (positive)."""
    return ChatKind.GROUP if local_id.startswith("-") else ChatKind.PRIVATE


TELEGRAM_FACTS = PlatformFacts(
    message_limit=MESSAGE_LIMIT,
    # Published: about 30 messages/s overall, 1/s per chat, 20/min per group; kept with a margin.
    pacing=PacingLimits(per_chat_rate=1.0, per_chat_burst=3, group_per_minute=20, global_per_second=25),
    chat_kind=telegram_chat_kind,
    reports_admins=True,  # getChatAdministrators: group admins arrive as ChatUser.is_platform_admin
)


class TelegramPlugin:
    """Entry point `telegram` of the `fxbot.adapters` group.

    Tests may hand in a fake transport: `runtime.extras["telegram_request"]` (a telegram.request.BaseRequest)
    and pacing limits `runtime.extras["telegram_pacing"]` (fxbot.notify.pacing.PacingLimits)."""

    name = "telegram"
    settings_model = TelegramSettings
    facts = TELEGRAM_FACTS

    def create(self, settings: TelegramSettings, runtime: AdapterRuntime) -> TelegramAdapter:
        extras: dict[str, Any] = runtime.extras
        return TelegramAdapter(settings, runtime, request=extras.get("telegram_request"),
                               pacing=extras.get("telegram_pacing", TELEGRAM_FACTS.pacing))
