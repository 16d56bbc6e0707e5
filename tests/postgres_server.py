"""A throw-away PostgreSQL cluster for the test session, and fixtures giving each test its own database.

Fixtures (registered in tests/conftest.py):
- `postgres_server` (session) -> PostgresServer: a cluster made with `initdb -A trust` in a fresh temp dir,
  listening only on a Unix socket there (so several suites on one machine never collide), fsync off.
  Run as the `postgres` user through `runuser` when the tests run as root (initdb refuses root).
  Skipped with the reason when no PostgreSQL server binaries are found, or when root and `runuser` or
  the `postgres` user is missing; with FXBOT_TEST_POSTGRES=required that is a failure instead.
  Stopped (and its directory removed) at session end, on Ctrl-C, on SIGTERM and at interpreter exit; a
  cluster left by a session killed outright (SIGKILL) is stopped by the next session that starts.
- `postgres_url` -> str: the URL of a fresh database cloned from a template migrated to the latest schema.
- `database` (params "sqlite", "postgresql") -> Database: an opened, migrated gateway of each kind
  (SQLite in tmp_path), closed after the test. Tests using it run once per backend.
"""

from __future__ import annotations

import asyncio
import atexit
import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest

from fxbot.storage.database import Database
from fxbot.storage.open_database import open_database
from fxbot.storage.postgres_database import PostgresDatabase

REQUIRED_ENV = "FXBOT_TEST_POSTGRES"
SERVER_USER = "postgres"
PORT = 5432  # only names the socket file inside our own directory: never a TCP port
TEMPLATE = "fxbot_template"
OWNER_FILE = "owner.pid"  # the test process that started the cluster (reap_abandoned)
BACKENDS = ("sqlite", "postgresql")


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be started here (the message says why)."""


def _find_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb) found: apt-get install postgresql")


class PostgresServer:
    """One running throw-away cluster; `create_database()` makes a fresh database and returns its URL."""

    def __init__(self) -> None:
        self.bin_dir = _find_bin_dir()
        self._as_user: list[str] = []
        self._owner: tuple[int, int] | None = None
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root and `runuser` is missing (initdb refuses root)")
            try:
                entry = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise PostgresUnavailable(f"running as root and there is no {SERVER_USER!r} user "
                                          "(initdb refuses root)") from None
            self._as_user = ["runuser", "-u", SERVER_USER, "--"]
            self._owner = (entry.pw_uid, entry.pw_gid)
        self.base = Path(tempfile.mkdtemp(prefix="fxbot-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base / "run"
        self.log = self.base / "server.log"
        self._names = itertools.count(1)
        self._running = False

    def url(self, dbname: str) -> str:
        return f"postgresql://{SERVER_USER}@/{dbname}?host={self.socket_dir}&port={PORT}"

    def start(self) -> None:
        self.reap_abandoned()
        (self.base / OWNER_FILE).write_text(str(os.getpid()))
        self.socket_dir.mkdir()
        if self._owner is not None:
            for path in (self.base, self.socket_dir):
                os.chown(path, *self._owner)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SERVER_USER, "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-p {PORT} -k {self.socket_dir} -c listen_addresses='' -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")
        self._running = True
        atexit.register(self.stop)
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
                signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, self._stop_then_die)

    def _stop_then_die(self, signum: int, _frame: object) -> None:
        """On SIGTERM (atexit does not run then): stop the cluster, then die of the signal as before."""
        self.stop()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def reap_abandoned(self) -> None:
        """Stop and remove clusters of earlier sessions whose process is gone (killed with SIGKILL, say)."""
        for base in Path(tempfile.gettempdir()).glob("fxbot-pg-*"):
            try:
                owner = int((base / OWNER_FILE).read_text())
            except (OSError, ValueError):
                continue
            if owner == os.getpid() or _alive(owner):
                continue
            if (base / "data" / "postmaster.pid").exists():
                with suppress(PostgresUnavailable, OSError, subprocess.TimeoutExpired):
                    self._run("pg_ctl", "-D", str(base / "data"), "-m", "immediate", "-w", "stop")
            shutil.rmtree(base, ignore_errors=True)

    def stop(self) -> None:
        """Stop the server (immediately: it is throw-away) and remove its directory; safe to call twice."""
        if self._running:
            self._running = False
            with suppress(PostgresUnavailable, OSError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    async def make_template(self) -> None:
        """Create the template database migrated to the latest schema (cloned for every test)."""
        conn = await asyncpg.connect(dsn=self.url("postgres"))
        try:
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await conn.close()
        db = await PostgresDatabase.connect(self.url(TEMPLATE), pool_size=2)
        await db.close()

    async def create_database(self, *, migrated: bool = True) -> str:
        """A new database (a copy of the migrated template, or empty) and its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        conn = await asyncpg.connect(dsn=self.url("postgres"))
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        name = url.split("?")[0].rsplit("/", 1)[-1]
        conn = await asyncpg.connect(dsn=self.url("postgres"))
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as_user, str(self.bin_dir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.base, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{log}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_in_own_loop(server: PostgresServer) -> None:
    """Make the template from a thread with its own event loop (a test's loop may be running here)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, server.make_template()).result()


def unavailable(reason: str) -> NoReturn:
    """Skip with the reason, or fail when FXBOT_TEST_POSTGRES=required (CI)."""
    if os.environ.get(REQUIRED_ENV) == "required":
        pytest.fail(f"PostgreSQL is required ({REQUIRED_ENV}=required) but unavailable: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's throw-away PostgreSQL cluster (see the module docstring)."""
    try:
        server = PostgresServer()
    except PostgresUnavailable as exc:
        unavailable(str(exc))
    try:
        server.start()
        _run_in_own_loop(server)
    except (PostgresUnavailable, OSError, asyncpg.PostgresError) as exc:
        server.stop()
        unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh PostgreSQL database at the latest schema, dropped after the test."""
    url = await postgres_server.create_database()
    yield url
    await postgres_server.drop_database(url)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database location of each backend: a SQLite path (as text) or a PostgreSQL URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "fxbot.db")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = await server.create_database()
    yield url
    await server.drop_database(url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An opened, migrated Database of each backend (the test runs once per backend)."""
    db = await open_database(database_url if database_url.startswith("postgresql://") else Path(database_url))
    try:
        yield db
    finally:
        await db.close()


def postgres_or_none(database_url: str) -> str | None:
    """The URL to pass as Storage.open(..., url=) for a `database_url` value (None for SQLite)."""
    return database_url if database_url.startswith("postgresql://") else None
