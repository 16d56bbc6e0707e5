"""Fixtures shared by the stream unit tests: an empty Storage in tmp_path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import open_storage


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    """A fresh, empty Storage (closed after the test)."""
    store = await open_storage(tmp_path)
    yield store
    await store.close()
