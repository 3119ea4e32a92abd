"""A small migrator: numbered SQL files applied once, repeatable ones when they change.

* ``NNN_name.sql`` — versioned: applied once, in order; its checksum is recorded and a later
  edit of an applied file is an error (write a new file instead).
* ``R__name.sql`` — repeatable (Flyway's convention): re-applied whenever its content
  changes, after the versioned files. The typed per-event views are one, so they follow the
  contracts without a new migration per contract change.

Applied versions live in ``raw.schema_migrations``. A transaction-level advisory lock makes
concurrent migrators (two DAG runs, a test and a DAG) safe: the second waits, then finds
nothing left to do.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_VERSIONED = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_REPEATABLE = re.compile(r"^R__([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x5C1A1_0001  # any constant shared by every migrator of this schema


class MigrationError(RuntimeError):
    """The database's migration history does not match the files in the repository."""


@dataclass(frozen=True)
class Migration:
    version: str  # "001", or "R__event_views" for a repeatable file
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text()

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def repeatable(self) -> bool:
        return self.version.startswith("R__")


def migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Versioned files in version order, then repeatable ones by name."""
    versioned, repeatable = [], []
    for path in sorted(directory.glob("*.sql")):
        if m := _VERSIONED.match(path.name):
            versioned.append(Migration(m.group(1), path))
        elif _REPEATABLE.match(path.name):
            repeatable.append(Migration(path.stem, path))
        else:
            raise MigrationError(f"{path.name}: name it NNN_name.sql or R__name.sql")
    return versioned + repeatable


def migrate(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply what is missing; returns the versions applied now (empty when up to date)."""
    applied_now: list[str] = []
    try:
        with psycopg.connect(dsn) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
            conn.execute(
                """CREATE TABLE IF NOT EXISTS raw.schema_migrations (
                       version text PRIMARY KEY,
                       checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done: dict[str, str] = dict(
                conn.execute("SELECT version, checksum FROM raw.schema_migrations")
            )
            for mig in migrations(directory):
                recorded = done.get(mig.version)
                if recorded == mig.checksum:
                    continue
                if recorded is not None and not mig.repeatable:
                    raise MigrationError(
                        f"migration {mig.path.name} changed after it was applied; "
                        "revert the edit and add a new numbered file instead"
                    )
                log.info("applying migration %s", mig.path.name)
                conn.execute(mig.sql.encode())
                conn.execute(
                    """INSERT INTO raw.schema_migrations (version, checksum) VALUES (%s, %s)
                       ON CONFLICT (version) DO UPDATE
                       SET checksum = EXCLUDED.checksum, applied_at = now()""",
                    (mig.version, mig.checksum),
                )
                applied_now.append(mig.version)
    except psycopg.Error as exc:
        log.error("migration of the raw schema failed: %s", exc)
        raise
    log.info("raw schema up to date (%d applied now: %s)", len(applied_now), applied_now)
    return applied_now
