"""The built package as a user gets it: the sdist, a wheel built from it, installed in a fresh venv and run.

`python -m build` makes the sdist from this tree and then the wheel from that sdist (its default), so a
file missing from the sdist (alerts/, adapters/ behind the fxbot symlinks) would also be missing from the
wheel. The wheel is installed into a new virtual environment with no source tree in sight (a temporary
cwd, no PYTHONPATH). Its dependencies are resolved, not skipped: the new venv sees this venv's
site-packages through a `.pth` line (appended after its own, so the wheel's fxbot comes first and this
tree's editable finder is not loaded) and pip installs with `--no-index`, so it checks every requirement
against what is installed and downloads nothing — seconds instead of minutes of fetching matplotlib,
discord.py and the rest. Building needs the package registry once (setuptools in the isolated build env).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME, VERSION = PROJECT["name"], PROJECT["version"]

pytestmark = pytest.mark.timeout(900)  # two builds and an install on a loaded 2-core machine


@dataclass(frozen=True)
class Installed:
    """The built artifacts and the fresh venv the wheel went into."""

    wheel: Path
    sdist: Path
    venv: Path
    cwd: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def fxbot(self) -> Path:
        return self.venv / "bin" / "fxbot"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FXBOT_", "VIRTUAL_ENV"))}
        env.update(extra)
        return env

    def run(self, *args: str | Path, stdin: str = "", timeout: float = 180, **env: str) -> str:
        done = subprocess.run([str(a) for a in args], input=stdin, capture_output=True, text=True,
                              cwd=self.cwd, env=self.env(**env), timeout=timeout, check=False)
        assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


def _build(out: Path) -> tuple[Path, Path]:
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    # setuptools deprecations (license metadata and the like) are build warnings we keep at zero
    assert "SetuptoolsDeprecationWarning" not in done.stdout + done.stderr, done.stderr[-4000:]
    return next(out.glob(f"{NAME}-{VERSION}-*.whl")), next(out.glob(f"{NAME}-{VERSION}.tar.gz"))


def _fresh_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    site = subprocess.run([str(path / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    here = sysconfig.get_paths()
    (Path(site) / "fxbot_test_deps.pth").write_text(
        "".join(f"{p}\n" for p in dict.fromkeys((here["purelib"], here["platlib"]))), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if subprocess.run([sys.executable, "-c", "import build"], capture_output=True, check=False).returncode != 0:
        pytest.fail("the `build` package is missing: install the test extra (pip install -e '.[test]')")
    work = tmp_path_factory.mktemp("wheel")
    wheel, sdist = _build(work / "dist")
    venv = _fresh_venv(work / "venv")
    cwd = work / "cwd"
    cwd.mkdir()
    result = Installed(wheel, sdist, venv, cwd)
    result.run(result.python, "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
               "--no-cache-dir", wheel, timeout=600)
    return result


def test_the_wheel_claims_only_the_fxbot_name(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"{NAME}-{VERSION}.dist-info/METADATA").decode()
    assert {n.split("/")[0] for n in names} == {NAME, f"{NAME}-{VERSION}.dist-info"}
    assert "fxbot/alerts/price_eval.py" in names and "fxbot/adapters/console.py" in names
    assert "fxbot/adapters/telegram/plugin.py" in names and "fxbot/adapters/discord/plugin.py" in names
    assert f"{NAME}-{VERSION}.dist-info/licenses/LICENSE" in names
    assert "License-Expression: MIT" in metadata.splitlines()


def test_the_sdist_carries_alerts_and_adapters_as_files_of_the_fxbot_package(installed: Installed) -> None:
    """The repository's links fxbot/alerts -> ../alerts, fxbot/adapters -> ../adapters are followed: the sdist
    holds their files (not links to folders it may not carry), so a wheel built from it is whole."""
    with tarfile.open(installed.sdist) as sdist:
        members = {member.name: member for member in sdist.getmembers()}
    base = f"{NAME}-{VERSION}"
    for path in ("fxbot/alerts/price_eval.py", "fxbot/adapters/console.py", "fxbot/adapters/telegram/plugin.py",
                 "fxbot/adapters/discord/plugin.py", "fxbot/cli.py", "LICENSE", "pyproject.toml"):
        assert f"{base}/{path}" in members, path
        assert members[f"{base}/{path}"].isfile(), path


def test_the_installed_package_comes_from_the_venv_with_its_plugins(installed: Installed) -> None:
    script = (
        "import importlib.metadata as m, fxbot, fxbot.alerts.price_eval as pe\n"
        "d = m.distribution('fxbot')\n"
        "print(fxbot.__file__); print(pe.__file__); print(d.locate_file(''))\n"
        "for ep in sorted(d.entry_points.select(group='fxbot.adapters'), key=lambda e: e.name):\n"
        "    print(ep.name, ep.load().__module__)\n"
    )
    lines = installed.run(installed.python, "-c", script).splitlines()
    venv = str(installed.venv.resolve())
    assert all(line.startswith(venv) for line in lines[:3]), lines
    assert not any(str(ROOT) in line for line in lines), lines
    assert lines[3:] == ["console fxbot.adapters.console", "discord fxbot.adapters.discord.plugin",
                         "telegram fxbot.adapters.telegram.plugin"]


def test_help_and_version_from_the_entry_point(installed: Installed) -> None:
    help_text = installed.run(installed.fxbot, "--help")
    for command in ("sim", "demo", "console", "run", "check-config", "backup", "restore"):
        assert command in help_text
    assert VERSION in installed.run(installed.fxbot, "--version")


def test_check_config_accepts_the_example(installed: Installed) -> None:
    config = installed.cwd / "config.yaml"
    config.write_text((ROOT / "config.example.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = installed.run(installed.fxbot, "check-config", config, FXBOT_CONSOLE__ENABLED="true")
    assert "console" in out


def test_a_short_demo_from_a_pipe(installed: Installed) -> None:
    script = "/quote EURUSD\n/account\n/alert EURUSD above 5\n/alerts\n/chart EURUSD\n"
    out = installed.run(installed.fxbot, "demo", "--seed", "7", stdin=script)
    assert "fxbot demo" in out
    assert "EURUSD\nbid " in out
    assert "Balance: 10,000.00 USD" in out
    assert "Alert #1 set" in out and "#1 EURUSD bid above 5.00000 · active · once" in out
    assert (installed.cwd / "charts" / "EURUSD_H1.png").stat().st_size > 1000  # matplotlib rendered a chart
