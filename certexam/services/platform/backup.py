"""Backups with each database's own tools: SQLite's online backup API, pg_dump/pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why."""


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = {"PGPASSWORD": u.password} if u.password else {}
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed (Debian package postgresql-client)")
    # The command is a fixed tool name with arguments from our own settings; no shell is involved.
    proc = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=3600,  # noqa: S603
                          check=False)
    if proc.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {proc.stderr.strip()[:500]}")


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target` while the app keeps running."""
    u = make_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if u.get_backend_name() == "sqlite":
        source = sqlite3.connect(u.database or "")
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # page-by-page copy that sees one consistent snapshot
        finally:
            dest.close()
            source.close()
    elif u.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(["pg_dump", *args, "--format=custom", "--no-owner", "-f", str(target), u.database or ""], env)
    else:
        raise BackupError(f"no backup method for {u.get_backend_name()}")


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with the backup in `source` (stop the app servers first)."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest = sqlite3.connect(u.database or "")
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not an intact SQLite database")
            with dest:
                src.backup(dest)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not an SQLite backup: {exc}") from exc
        finally:
            dest.close()
            src.close()
    elif u.get_backend_name() == "postgresql":
        args, env = _pg_args(url)
        _run(["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "-d", u.database or "", str(source)], env)
    else:
        raise BackupError(f"no restore method for {u.get_backend_name()}")
