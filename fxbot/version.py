"""The installed fxbot version (package metadata), for `fxbot --version`, backups and the metrics."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def fxbot_version() -> str:
    """The version of the installed fxbot distribution ("unknown" when run from a tree that is not installed)."""
    try:
        return version("fxbot")
    except PackageNotFoundError:
        return "unknown"
