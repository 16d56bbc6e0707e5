"""fxsocket.management_url (the terminal API of fxs_live_/fxs_ro_ keys): default, environment, validation, its way
into the services, and check-config explaining where each kind of key goes (never showing the key)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from fxbot.app import build
from fxbot.cli import main
from fxbot.config import DEFAULT_MANAGEMENT_URL, ConfigError, parse_settings

RO = "fxs_ro_0123456789abcdefghijklmnopqr"


def test_the_default_is_fxsockets_management_api() -> None:
    settings = parse_settings({}, {})
    assert settings.fxsocket.management_url == DEFAULT_MANAGEMENT_URL == "https://api.fxsocket.com/v1"


def test_the_environment_overrides_it_and_a_trailing_slash_is_dropped() -> None:
    settings = parse_settings({}, {"FXBOT_FXSOCKET__MANAGEMENT_URL": "http://127.0.0.1:8765/sdk/v1/"})
    assert settings.fxsocket.management_url == "http://127.0.0.1:8765/sdk/v1"


def test_it_must_be_http() -> None:
    with pytest.raises(ConfigError) as error:
        parse_settings({"fxsocket": {"management_url": "wss://api.fxsocket.com/v1"}}, {})
    assert any(p.startswith("fxsocket.management_url") and "http://" in p for p in error.value.problems)


async def test_the_app_hands_it_to_the_services(tmp_path: Path) -> None:
    settings = parse_settings({"fxsocket": {"management_url": "http://127.0.0.1:9/sdk/v1"},
                               "database": {"path": str(tmp_path / "fxbot.db")}}, {})
    app = await build(settings, env={"FXBOT_SECRET_KEY": Fernet.generate_key().decode()}, stdin=io.StringIO(),
                      stdout=io.StringIO(), adapter_overrides={"console": {"enabled": True}})
    try:
        assert app.services.management_url == "http://127.0.0.1:9/sdk/v1"
    finally:
        await app.close()


def check(path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    for name in [n for n in os.environ if n.startswith("FXBOT_")]:
        monkeypatch.delenv(name)
    code = main(["check-config", str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_check_config_explains_both_kinds_of_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text("fxsocket:\n  management_url: http://127.0.0.1:8765/sdk/v1\nconsole:\n  enabled: true\n")
    code, out = check(config, capsys, monkeypatch)
    assert code == 0, out
    assert "sk_… keys (the /v1 API): REST at https://api.fxsocket.com" in out
    assert "fxs_live_… (full) and fxs_ro_… (read-only) keys" in out
    assert "management at http://127.0.0.1:8765/sdk/v1" in out
    assert '"management_url": "http://127.0.0.1:8765/sdk/v1"' in out


def test_check_config_names_the_console_keys_kind_and_its_scope_cap_without_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text(f"console:\n  enabled: true\n  api_key: {RO}\n  scope: trade\n")
    code, out = check(config, capsys, monkeypatch)
    assert code == 0, out
    assert "console.api_key: an fxs_ro_… key, for the terminal API" in out
    assert "console.scope: trade is more than an fxs_ro_… key can do — it is linked as read-only" in out
    assert RO not in out and RO[7:] not in out
