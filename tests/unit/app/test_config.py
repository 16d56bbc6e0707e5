"""Settings: YAML + environment overrides, errors listed by key, secrets redacted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from fxbot.adapters.console import ConsoleSettings
from fxbot.config import ConfigError, load_settings, parse_settings, validate_adapter_section
from fxbot.config_report import redacted
from fxbot.logging_setup import RedactingFilter


def test_defaults_without_a_file() -> None:
    settings = parse_settings(None, {})
    assert settings.fxsocket.base_url == "https://api.fxsocket.com"
    assert settings.fxsocket.stream_url == "wss://ws.fxsocket.com/v1/stream"
    assert settings.database.path == Path("fxbot.db")
    assert settings.adapters == {}


def test_environment_overrides_file_values() -> None:
    raw = {"fxsocket": {"base_url": "https://example.invalid"}, "console": {"scope": "full"}}
    env = {
        "FXBOT_FXSOCKET__BASE_URL": "http://127.0.0.1:8765/",
        "FXBOT_CONSOLE__API_KEY": "sk_test_abcdefghijklmnop",
        "FXBOT_SECRET_KEY": "not-a-section",
        "UNRELATED": "x",
    }
    settings = parse_settings(raw, env)
    assert settings.fxsocket.base_url == "http://127.0.0.1:8765"
    console = settings.adapter_section("console")
    assert console == {"scope": "full", "api_key": "sk_test_abcdefghijklmnop"}
    assert "secret_key" not in settings.adapters


def test_every_problem_is_listed_by_key() -> None:
    raw = {"fxsocket": {"base_url": "ftp://x", "stream_url": "http://y", "bogus": 1}, "logging": {"level": "LOUD"}}
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, {})
    text = "\n".join(caught.value.problems)
    assert "fxsocket.base_url" in text and "http://" in text
    assert "fxsocket.stream_url" in text and "ws://" in text
    assert "fxsocket.bogus" in text
    assert "logging.level" in text


def test_a_section_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"telegram": "token"}, {})
    assert caught.value.problems == ["telegram: must be a mapping of settings"]


def test_load_reports_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.yaml", {})
    bad = tmp_path / "bad.yaml"
    bad.write_text("fxsocket: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(bad, {})


def test_database_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "fxbot.yaml"
    config.parent.mkdir()
    config.write_text("database:\n  path: data/bot.db\n")
    settings = load_settings(config, {})
    assert settings.database.path == (tmp_path / "conf" / "data" / "bot.db").resolve()


def test_adapter_section_is_validated_by_its_plugin_model() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_adapter_section("console", ConsoleSettings, {"scope": "godmode", "colour": "red"})
    text = "\n".join(caught.value.problems)
    assert "console.scope" in text and "console.colour" in text


def test_redacted_hides_secrets_but_keeps_the_rest() -> None:
    console = ConsoleSettings(api_key=SecretStr("sk_live_supersecretvalue123"))
    shown = redacted({"console": console, "telegram": {"token": "123:ABC", "base_url": None}})
    assert shown["console"]["api_key"] == "***"
    assert shown["console"]["scope"] == "trade"
    assert shown["telegram"] == {"token": "***", "base_url": None}
    assert "supersecret" not in repr(shown) and "123:ABC" not in repr(shown)


def test_log_records_never_carry_a_key(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("fxbot.test.redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="fxbot.test.redaction"):
            logger.info("linking %s for %s", "sk_live_AbCdEf0123456789", "alice")
            try:
                raise ValueError("bad key sk_test_zzzzzzzzzzzz9")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert "AbCdEf0123456789" not in text and "zzzzzzzzzzzz9" not in text
    assert "sk_live_***" in text and "alice" in text


def test_bot_tokens_are_masked_too() -> None:
    from fxbot.domain.redaction import redact_secrets

    url = "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
    assert redact_secrets(url) == "POST https://api.telegram.org/bot***/sendMessage"
    assert redact_secrets("price 1.08340 at 12:30:15") == "price 1.08340 at 12:30:15"
