"""The PostgreSQL test fixture: a clear skip where no server can start, a failure instead when it is required,
and each test's database is its own."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fxbot.storage import open_database
from tests.postgres_server import REQUIRED_ENV, PostgresServer, unavailable


def test_missing_server_is_a_skip_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRED_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL unavailable: no initdb"):
        unavailable("no initdb")


def test_missing_server_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRED_ENV, "required")
    with pytest.raises(pytest.fail.Exception, match=r"required .* unavailable: no initdb"):
        unavailable("no initdb")


async def test_each_database_is_fresh_and_migrated(postgres_server: PostgresServer) -> None:
    first, second = await postgres_server.create_database(), await postgres_server.create_database()
    assert first != second and str(postgres_server.socket_dir) in first
    db = await open_database(first)
    try:
        await db.execute("INSERT INTO chat_settings (chat_id) VALUES (?)", ("telegram:1",))
        assert await db.schema_version() > 0
    finally:
        await db.close()
    other = await open_database(second)
    try:
        assert await other.fetch_value("SELECT COUNT(*) FROM chat_settings") == 0
    finally:
        await other.close()
    for url in (first, second):
        await postgres_server.drop_database(url)


ROOT = Path(__file__).resolve().parents[2]
_SESSION = """
import sys, time
from tests.postgres_server import PostgresServer
server = PostgresServer()
server.start()
print(server.base, flush=True)
time.sleep(600)
"""


def _start_session() -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", _SESSION], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


@pytest.mark.usefixtures("postgres_server")  # skips (or fails) like the others where no server can start
def test_a_terminated_session_stops_its_cluster_and_a_killed_one_is_reaped_later() -> None:
    terminated, base = _start_session()
    assert (base / "data" / "postmaster.pid").exists()
    terminated.terminate()
    assert terminated.wait(timeout=60) == -signal.SIGTERM
    assert not base.exists()

    killed, base = _start_session()
    killed.kill()
    killed.wait(timeout=60)
    assert (base / "data" / "postmaster.pid").exists()  # SIGKILL: nothing could clean up
    reaper = PostgresServer()
    reaper.reap_abandoned()
    reaper.stop()  # never started: removes its empty directory
    assert not base.exists()
