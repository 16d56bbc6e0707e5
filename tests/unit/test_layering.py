"""The broker seam holds: the core imports no backend's wire models or errors, and the /v1 library imports no core.

Every module's imports are read from its AST (any form: `import a.b`, `from a import b`, `from a.b import c`,
relative imports), so a moved or renamed module is checked like the others.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

WIRE = "fxbot.fxsocket"  # the /v1 client library: wire models, wire errors, the concrete stream
BACKENDS = "fxbot.backends"  # the backends implementing the broker port over a wire API

#: Where the core speaks only the broker port (fxbot.domain.broker).
CORE = ["fxbot/commands", "fxbot/services", "fxbot/stream", "fxbot/domain", "alerts", "adapters"]
#: The only core module that names a backend: the container registers them.
REGISTERS_BACKENDS = {"fxbot/services/container.py"}
#: What may import the wire library: the library itself, the simulator (it speaks wire JSON) and the backends.
WIRE_ALLOWED = ["fxbot/fxsocket", "fxbot/simulator", "fxbot/backends"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, *, is_package: bool = False) -> Iterator[str]:
    """Every module name an import statement of `source` (the module `module`) may bring in."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)  # `from fxbot import fxsocket`


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    return set(imported(path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_checked_folders_exist() -> None:
    for folder in [*CORE, *WIRE_ALLOWED]:
        assert (ROOT / folder).is_dir(), folder
    assert len(modules("fxbot/stream")) >= 5


def test_only_the_library_the_simulator_and_the_backends_import_the_wire_library() -> None:
    allowed = tuple(ROOT / folder for folder in WIRE_ALLOWED)
    offenders = {
        relative(path): sorted(n for n in imports_of(path) if within(n, WIRE))
        for path in modules("fxbot", "alerts", "adapters")
        if not any(path.is_relative_to(a) for a in allowed)
    }
    assert {where: names for where, names in offenders.items() if names} == {}


def test_the_core_never_names_a_backend_except_where_backends_are_registered() -> None:
    offenders = {
        relative(path): sorted(n for n in imports_of(path) if within(n, BACKENDS) or within(n, WIRE))
        for path in modules(*CORE)
        if relative(path) not in REGISTERS_BACKENDS
    }
    assert {where: names for where, names in offenders.items() if names} == {}
    for path in REGISTERS_BACKENDS:  # the container may name backends, never the wire library
        assert not any(within(n, WIRE) for n in imports_of(ROOT / path)), path


def test_the_wire_library_imports_nothing_else_from_fxbot() -> None:
    offenders = {
        relative(path): sorted(n for n in imports_of(path) if within(n, "fxbot") and not within(n, WIRE))
        for path in modules("fxbot/fxsocket")
    }
    assert {where: names for where, names in offenders.items() if names} == {}


@pytest.mark.parametrize("source", [
    "import fxbot.fxsocket.models",
    "import fxbot.fxsocket.models as wire",
    "from fxbot.fxsocket.errors import FxSocketError",
    "from fxbot.fxsocket import errors",
    "from fxbot import fxsocket",
    "from ..fxsocket import models",
    "def f():\n    from fxbot.fxsocket.stream import FxSocketStream\n",
    "if TYPE_CHECKING:\n    from fxbot.fxsocket.models import Position\n",
])
def test_every_form_of_import_is_seen(source: str) -> None:
    assert any(within(n, WIRE) for n in imported(source, "fxbot.services.example"))


def test_a_port_import_is_not_mistaken_for_a_wire_one() -> None:
    source = "from fxbot.domain.broker import Quote\nfrom fxbot import domain\nimport fxbot.fxsocketish\n"
    assert not any(within(n, WIRE) for n in imported(source, "fxbot.services.example"))


def test_nothing_imports_the_top_level_folders_by_their_own_name() -> None:
    """`alerts/` and `adapters/` install as `fxbot.alerts` / `fxbot.adapters`: the wheel claims only `fxbot`."""
    offenders = {
        relative(path): sorted(n for n in imports_of(path) if n.split(".")[0] in {"alerts", "adapters"})
        for path in modules("fxbot", "alerts", "adapters", "tests", "benchmarks")
        if not path.is_relative_to(ROOT / "alerts") and not path.is_relative_to(ROOT / "adapters")
    }
    absolute = {
        relative(path): sorted(
            node.module or "" for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and not node.level
            and (node.module or "").split(".")[0] in {"alerts", "adapters"}
        )
        for path in modules("alerts", "adapters")
    }
    assert {where: names for where, names in offenders.items() if names} == {}
    assert {where: names for where, names in absolute.items() if names} == {}
    assert (ROOT / "fxbot" / "alerts").resolve() == ROOT / "alerts"
    assert (ROOT / "fxbot" / "adapters").resolve() == ROOT / "adapters"
