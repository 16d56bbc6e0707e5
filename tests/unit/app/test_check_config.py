"""`fxbot check-config`: every problem of a file in one report, and a file with nothing to run is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fxbot.cli import main


def check(path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    for name in [n for n in os.environ if n.startswith("FXBOT_")]:
        monkeypatch.delenv(name)
    code = main(["check-config", str(path)])
    return code, capsys.readouterr().err


def test_core_and_adapter_problems_are_reported_together(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text(
        "fxsocket:\n  base_url: ftp://nope\n"
        "logging:\n  level: LOUD\n"
        "console:\n  scope: godmode\n"
        "matrix:\n  enabled: true\n"
        "telegram:\n  token: ''\n"
    )
    code, err = check(config, capsys, monkeypatch)
    assert code == 1
    for expected in ("fxsocket.base_url", "logging.level", "console.scope", "matrix: no chat adapter",
                     "telegram.token"):
        assert expected in err, f"{expected!r} missing from one report:\n{err}"
    assert "Traceback" not in err


@pytest.mark.parametrize("text", ["", "# only a comment\n", "database:\n  path: bot.db\n",
                                  "console:\n  enabled: false\n"])
def test_a_config_with_nothing_to_run_is_refused(
        text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text(text)
    code, err = check(config, capsys, monkeypatch)
    assert code == 1
    assert "nothing to run: no chat adapter is enabled" in err


def test_nothing_to_run_is_reported_with_the_other_problems(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text("fxsocket:\n  stream_url: http://not-a-websocket\n")
    code, err = check(config, capsys, monkeypatch)
    assert code == 1
    assert "fxsocket.stream_url" in err and "nothing to run" in err


def test_a_valid_config_passes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "fxbot.yaml"
    config.write_text("console:\n  enabled: true\n")
    code, err = check(config, capsys, monkeypatch)
    assert code == 0, err
    assert "chat adapters enabled: console" in err
