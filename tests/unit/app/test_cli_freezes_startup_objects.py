"""`fxbot run`/`console` keep what start-up made out of the collector's full passes (no 15-20 ms stalls later)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fxbot.app
from fxbot import cli
from fxbot.config import load_settings


class FakeApp:
    frozen_at_run = -1

    async def run(self) -> None:
        FakeApp.frozen_at_run = gc.get_freeze_count()


@pytest.fixture
def unfreeze() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_the_bot_freezes_its_startup_objects_before_it_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             unfreeze: None) -> None:
    async def build(*args: Any, **kwargs: Any) -> FakeApp:
        return FakeApp()

    monkeypatch.setattr(fxbot.app, "build", build)
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)  # leave the test run's logging alone
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  path: {tmp_path / 'fxbot.db'}\n")
    assert cli._serve(load_settings(config, {}), {}) == 0
    assert FakeApp.frozen_at_run > 0
