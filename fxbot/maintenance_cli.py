"""The `fxbot backup | restore | rotate-secret | migrate-db` subcommands: parsing, one clear line per outcome."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fxbot.config import Settings

LoadSettings = Callable[[Path], Settings | None]
"""Reads and validates a config file, printing its problems; None when it cannot be used."""


def add_commands(commands: Any, load: LoadSettings) -> None:
    """Register the maintenance subcommands on the `fxbot` parser's subparsers."""
    backup = commands.add_parser(
        "backup", help="back up the database and master key file into one archive (safe while the bot runs)",
        description="Copy the database with SQLite's backup API (consistent while the bot runs) and the master "
        "key file (unless the key comes from FXBOT_SECRET_KEY) into one tar.gz, mode 0600, with a manifest "
        "(fxbot version, schema version, sha256 of each member). The archive holds the key that decrypts the "
        "stored API keys: keep it as secret as the key itself.")
    backup.add_argument("--config", type=Path, required=True, metavar="FILE")
    backup.add_argument("--out", type=Path, default=None, metavar="PATH",
                        help="archive to write (default: fxbot-backup-<UTC time>.tar.gz here); never overwritten")
    backup.set_defaults(handler=lambda args: _backup(args, load))

    restore = commands.add_parser(
        "restore", help="restore a backup archive (the bot must be stopped)",
        description="Check the archive's manifest (sha256 of each member, schema version) and that the master "
        "key fits, then put the database and key file where the config says. Refuses while a bot uses that "
        "database, and refuses to replace existing files unless --force (they are then kept, renamed).")
    restore.add_argument("archive", type=Path, metavar="ARCHIVE")
    restore.add_argument("--config", type=Path, required=True, metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace an existing database (kept, renamed)")
    restore.set_defaults(handler=lambda args: _restore(args, load))

    rotate = commands.add_parser(
        "rotate-secret", help="re-encrypt the stored API keys under a new master key (the bot must be stopped)",
        description="Generate a new master key, write it to --new-key-file (mode 0600) and re-encrypt every stored "
        "API key under it in one transaction (nothing changes on failure). Needs the old key. With a key file "
        "beside the database the new key replaces it; with FXBOT_SECRET_KEY, set it to the new key afterwards.")
    rotate.add_argument("--config", type=Path, required=True, metavar="FILE")
    rotate.add_argument("--new-key-file", type=Path, required=True, metavar="PATH",
                        help="where to write the new key (must not exist)")
    rotate.set_defaults(handler=lambda args: _rotate(args, load))

    migrate = commands.add_parser(
        "migrate-db", help="copy an SQLite installation into an empty PostgreSQL database (the bot must be stopped)",
        description="Create fxbot's schema in the PostgreSQL database, copy every table from the SQLite file in one "
        "transaction (a failure leaves it without data) and check the row count of each. The API keys stay "
        "encrypted under the same master key (the key file beside the SQLite database, or FXBOT_SECRET_KEY): give "
        "the PostgreSQL processes that same key. Refuses a target that already holds fxbot data, and refuses while "
        "a bot has the SQLite database open: what it wrote after the copy would be lost at the switch.")
    migrate.add_argument("--to", default=None, metavar="URL",
                         help="postgresql://user:password@host/database (default: database.url of --config)")
    migrate.add_argument("--from", dest="source", type=Path, default=None, metavar="PATH",
                         help="the SQLite database (default: database.path of --config)")
    migrate.add_argument("--config", type=Path, default=None, metavar="FILE",
                         help="take the SQLite database (and so its master key file) from this config")
    migrate.add_argument("--live", action="store_true",
                         help="copy while a bot runs (a rehearsal: the copy is consistent but misses later writes)")
    migrate.set_defaults(handler=lambda args: _migrate_db(args, load))


def _fail(command: str, error: Exception) -> int:
    print(f"fxbot {command}: {error}", file=sys.stderr)
    return 1


def _backup(args: argparse.Namespace, load: LoadSettings) -> int:
    from fxbot.backup import BackupError, create_backup
    from fxbot.storage import StorageError

    settings = load(args.config)
    if settings is None:
        return 1
    try:
        path, manifest = create_backup(settings.database.path, os.environ, args.out)
    except (BackupError, StorageError, OSError) as error:
        return _fail("backup", error)
    key = ("the master key file" if manifest.master_key == "file"
           else "no key (it comes from FXBOT_SECRET_KEY: keep that safe separately)")
    print(f"backup written to {path}: the database (schema version {manifest.schema_version}) and {key}")
    return 0


def _restore(args: argparse.Namespace, load: LoadSettings) -> int:
    from fxbot.backup import BackupError
    from fxbot.restore import restore_backup
    from fxbot.storage import StorageError

    settings = load(args.config)
    if settings is None:
        return 1
    try:
        done = restore_backup(args.archive, settings.database.path, os.environ, force=args.force)
    except (BackupError, StorageError, OSError) as error:
        return _fail("restore", error)
    print(f"restored {done.database} from a backup of {done.manifest.created_at} "
          f"(fxbot {done.manifest.fxbot_version}, schema version {done.manifest.schema_version})")
    if done.key_file is not None:
        print(f"master key file: {done.key_file}")
    for path in done.set_aside:
        print(f"kept the previous file as {path}")
    return 0


def _rotate(args: argparse.Namespace, load: LoadSettings) -> int:
    from fxbot.secret_rotation import RotationError, rotate_secret
    from fxbot.storage import StorageError

    settings = load(args.config)
    if settings is None:
        return 1
    try:
        done = rotate_secret(settings.database.path, os.environ, args.new_key_file, url=settings.database.url_text())
    except (RotationError, StorageError, OSError) as error:
        return _fail("rotate-secret", error)
    print(f"re-encrypted {done.keys} stored key(s) under the new master key in {done.new_key_file}")
    if done.installed_as is not None:
        print(f"{done.installed_as} now holds the new key; older backups keep their own key")
    else:
        print("set FXBOT_SECRET_KEY to the new key before starting fxbot again")
    return 0


def _migrate_db(args: argparse.Namespace, load: LoadSettings) -> int:
    import asyncio

    from fxbot.migrate_db import migrate_db, shown_url
    from fxbot.storage import StorageError

    source: Path | None = args.source
    target: str | None = args.to
    if args.config is not None:
        settings = load(args.config)
        if settings is None:
            return 1
        source = source or settings.database.path
        target = target or settings.database.url_text()
    if source is None:
        print("fxbot migrate-db: say which SQLite database to copy: --from PATH or --config FILE", file=sys.stderr)
        return 2
    if target is None or not target.startswith(("postgresql://", "postgres://")):
        shown = "nothing" if target is None else repr(shown_url(target))
        print(f"fxbot migrate-db: --to (or database.url of --config) must be a postgresql:// URL, got {shown}",
              file=sys.stderr)
        return 2
    try:
        report = asyncio.run(migrate_db(source, target, os.environ, live=args.live))
    except (StorageError, OSError) as error:
        return _fail("migrate-db", error)
    width = max((len(table.name) for table in report.tables), default=0)
    for table in report.tables:
        print(f"  {table.name:<{width}}  {table.target_rows:>9} rows (source {table.source_rows})")
    print(f"copied {report.total_rows} rows in {len(report.tables)} tables from {source} to {shown_url(target)} "
          f"(schema version {report.schema_version}); every count matches")
    print("the API keys stay encrypted under the same master key: give the PostgreSQL processes that key "
          "(FXBOT_SECRET_KEY, or the key file)")
    return 0
