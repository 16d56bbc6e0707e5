"""The `telegram` adapter plugin: the factory the composition root calls, with its settings model."""

from __future__ import annotations

from typing import Any

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.settings import TelegramSettings
from fxbot.plugins import AdapterRuntime

__all__ = ["TelegramPlugin", "TelegramSettings"]


class TelegramPlugin:
    """Entry point `telegram` of the `fxbot.adapters` group.

    Tests may hand in a fake transport: `runtime.extras["telegram_request"]` (a telegram.request.BaseRequest)
    and pacing limits `runtime.extras["telegram_pacing"]` (fxbot.notify.pacing.PacingLimits)."""

    name = "telegram"
    settings_model = TelegramSettings

    def create(self, settings: TelegramSettings, runtime: AdapterRuntime) -> TelegramAdapter:
        extras: dict[str, Any] = runtime.extras
        return TelegramAdapter(settings, runtime, request=extras.get("telegram_request"),
                               pacing=extras.get("telegram_pacing"))
