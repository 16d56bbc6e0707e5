"""SettingsService: confirmation modes and time zones are validated before anything is written."""

from __future__ import annotations

import pytest

from fxbot.errors import UsageError
from fxbot.services.chat_settings import SettingsService
from fxbot.storage import Storage


@pytest.fixture
def settings(storage: Storage) -> SettingsService:
    return SettingsService(storage=storage)


async def test_defaults(settings: SettingsService) -> None:
    current = await settings.get("c")
    assert current.confirm_mode is None and current.timezone is None
    assert await settings.timezone("c") == "UTC"


async def test_confirm_modes_are_stored(settings: SettingsService) -> None:
    assert (await settings.set_confirm("c", "never")).confirm_mode == "never"
    stored = await settings.set_confirm("c", "ABOVE", 0.5)
    assert stored.confirm_mode == "above" and stored.confirm_above == 0.5


@pytest.mark.parametrize(("mode", "above", "message"), [
    ("sometimes", None, "unknown confirm mode"),
    ("above", None, "needs a volume"),
    ("above", 0.0, "above 0"),
    ("above", -1.0, "above 0"),
    ("above", float("nan"), "above 0"),
    ("above", 1000.0, "at most"),
    ("always", 1.0, "takes no volume"),
])
async def test_bad_confirm_settings_change_nothing(settings: SettingsService, mode: str, above: float | None,
                                                   message: str) -> None:
    await settings.set_confirm("c", "always")
    with pytest.raises(UsageError, match=message):
        await settings.set_confirm("c", mode, above)
    assert (await settings.get("c")).confirm_mode == "always"


async def test_time_zone_is_validated(settings: SettingsService) -> None:
    assert (await settings.set_timezone("c", " Europe/Berlin ")).timezone == "Europe/Berlin"
    for bad in ("Mars/Olympus", "../etc/passwd", "", "Europe"):
        with pytest.raises(UsageError):
            await settings.set_timezone("c", bad)
    assert await settings.timezone("c") == "Europe/Berlin"
