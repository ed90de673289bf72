"""Backups: SQLite's online backup, or pg_dump for PostgreSQL. Restores are documented in the README."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from ..extensions import db
from . import ServiceError, audit


def _pg_tool(name: str) -> str:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if not found:
        raise ServiceError(f"{name} was not found; install the PostgreSQL client (apt-get install postgresql-client).")
    return found


def backup(out: Path) -> str:
    """Write a consistent copy of the whole database to `out`; returns the kind of backup made."""
    url = make_url(str(db.engine.url))
    out = Path(out)
    if out.exists():
        raise ServiceError(f"{out} already exists; choose a new file so no backup is overwritten.")
    out.parent.mkdir(parents=True, exist_ok=True)
    audit.record("backup", user_id=None, school_id=None, detail={"file": out.name})
    db.session.commit()
    if url.get_backend_name() == "sqlite":
        # The online backup API copies a live database safely, even while the app writes to it.
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return "sqlite"
    if url.get_backend_name() == "postgresql":
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = url.password
        command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(out),
                   "--host", url.host or "localhost", "--port", str(url.port or 5432),
                   "--username", url.username or "postgres", url.database or "postgres"]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
        if result.returncode != 0:
            out.unlink(missing_ok=True)
            raise ServiceError(f"pg_dump failed: {result.stderr.strip()}")
        return "postgresql"
    raise ServiceError(f"Backups are not supported for {url.get_backend_name()} databases.")


def restore_postgres(dump: Path, target_url: str) -> None:
    """Load a pg_dump file into an empty PostgreSQL database (used by the tests and the README's steps)."""
    url = make_url(target_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    command = [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", url.database or "postgres",
               "--host", url.host or "localhost", "--port", str(url.port or 5432),
               "--username", url.username or "postgres", str(dump)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    if result.returncode != 0:
        raise ServiceError(f"pg_restore failed: {result.stderr.strip()}")
