"""A chat's settings: when orders need confirmation and which time zone times are shown in.

Constructor: `SettingsService(*, storage: Storage)`.
"""

from __future__ import annotations

import math

from fxbot.errors import UsageError
from fxbot.services.chat_reads import chat_settings
from fxbot.storage import ChatSettings, InvalidValue, Storage
from fxbot.storage.chat_settings import CONFIRM_MODES, validate_timezone

DEFAULT_TIMEZONE = "UTC"
MAX_CONFIRM_VOLUME = 100.0
CONFIRM_USAGE = "/settings confirm always|never|above VOLUME"
TIMEZONE_USAGE = "/settings timezone Area/City"


class SettingsService:
    """Reads and validates-then-writes per-chat settings; bad values change nothing."""

    def __init__(self, *, storage: Storage) -> None:
        self._storage = storage

    def __repr__(self) -> str:
        return "SettingsService()"

    async def get(self, chat_id: str) -> ChatSettings:
        """The chat's settings, read once per command (see fxbot.chat.command_scope)."""
        return await chat_settings(self._storage, chat_id)

    async def timezone(self, chat_id: str) -> str:
        """The chat's IANA time zone, UTC when unset."""
        return (await self.get(chat_id)).timezone or DEFAULT_TIMEZONE

    async def set_confirm(self, chat_id: str, mode: str, above: float | None = None) -> ChatSettings:
        """`always`, `never`, or `above` with a volume in lots (orders larger than it are confirmed)."""
        mode = mode.strip().lower()
        if mode not in CONFIRM_MODES:
            raise UsageError(
                f"unknown confirm mode {mode!r}: use always, never or above VOLUME",
                usage=CONFIRM_USAGE,
                example="/settings confirm above 1",
            )
        if mode == "above":
            if above is None:
                raise UsageError(
                    "'above' needs a volume in lots",
                    usage=CONFIRM_USAGE,
                    example="/settings confirm above 0.5",
                )
            if not math.isfinite(above) or above <= 0 or above > MAX_CONFIRM_VOLUME:
                raise UsageError(
                    f"the volume must be above 0 and at most {MAX_CONFIRM_VOLUME:g} lots",
                    usage=CONFIRM_USAGE,
                    example="/settings confirm above 0.5",
                )
        elif above is not None:
            raise UsageError(f"'{mode}' takes no volume", usage=CONFIRM_USAGE)
        try:
            return await self._storage.settings.set_confirm(chat_id, mode, above)
        except InvalidValue as exc:
            raise UsageError(str(exc), usage=CONFIRM_USAGE) from None

    async def set_timezone(self, chat_id: str, name: str) -> ChatSettings:
        """An IANA zone such as Europe/Berlin (checked with zoneinfo); UTC is accepted too."""
        try:
            zone = validate_timezone(name)
        except InvalidValue as exc:
            raise UsageError(
                str(exc), usage=TIMEZONE_USAGE, example="/settings timezone Europe/Berlin"
            ) from None
        return await self._storage.settings.set_timezone(chat_id, zone)
