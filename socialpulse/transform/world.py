"""A small generated + ingested world in its own PostgreSQL database (tests, benchmark, dev).

``load_world(db, users=300, minutes=180)`` creates ``db`` if needed, applies the ingestion
migrations there, generates ``minutes`` simulated minutes into MinIO under a private prefix and
loads them with the real ingestion pipeline, so the vault is built from exactly what the
production path lands in ``raw``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from socialpulse.settings import Settings, get_settings


@dataclass
class LoadedWorld:
    database: str
    prefix: str
    events: int
    files: int


def ensure_database(database: str, settings: Settings | None = None, *, fresh: bool = False) -> str:
    """Create ``database`` (dropping it first when ``fresh``) and migrate ``raw``; its DSN."""
    from socialpulse.ingestion.migrate import migrate

    s = settings or get_settings()
    with psycopg.connect(s.postgres_dsn("postgres"), autocommit=True) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    dsn = s.postgres_dsn(database)
    migrate(dsn)
    return dsn


def generate_and_ingest(
    dsn: str,
    *,
    users: int = 300,
    minutes: int = 180,
    seed: int = 7,
    start: datetime | None = None,
    settings: Settings | None = None,
    prefix: str | None = None,
    skip: Callable[[str], bool] | None = None,
) -> LoadedWorld:
    """Generate a world into MinIO under a private prefix and ingest it into ``dsn``."""
    from generator import runner, simulation, state
    from generator.writer import MinioSink, ObjectWriter, minio_client

    s = settings or get_settings()
    begin = start or (datetime.now(UTC) - timedelta(minutes=minutes + 60)).replace(
        second=0, microsecond=0
    )
    root = prefix if prefix is not None else f"test-dbt-{uuid.uuid4().hex[:10]}/"
    client = minio_client(s)
    gen = state.new_state(simulation.create_world(seed, begin, users))
    writer = ObjectWriter(MinioSink(client, s.minio_bucket, root))
    try:
        stats = runner.backfill(gen, writer, minutes)
    finally:
        writer.close()
    loaded = ingest_prefix(dsn, root + "events/", settings=s, skip=skip)
    return LoadedWorld(dsn.rsplit("/", 1)[-1], root, stats.events, loaded)


def ingest_prefix(
    dsn: str,
    prefix: str,
    *,
    settings: Settings | None = None,
    skip: Callable[[str], bool] | None = None,
) -> int:
    """Load every pending object under ``prefix`` (like one ingestion DAG run); files loaded.

    ``skip(key)`` holds objects back (they stay pending): a later call without it loads them
    as late files.
    """
    from generator.writer import minio_client
    from socialpulse.ingestion.config import IngestSettings
    from socialpulse.ingestion.discover import discover
    from socialpulse.ingestion.pipeline import process_objects
    from socialpulse.ingestion.quarantine import readmit

    s = settings or get_settings()
    client = minio_client(s)
    cfg = IngestSettings(bucket=s.minio_bucket, prefix=prefix, max_files_per_run=100_000)
    with psycopg.connect(dsn, autocommit=True) as conn:
        todo = discover(conn, client, s.minio_bucket, prefix, 100_000)
    if skip is not None:
        todo = [obj for obj in todo if not skip(obj.key)]
    results = process_objects(dsn, client, s.minio_bucket, todo, cfg, run_id="dbt-world")
    with psycopg.connect(dsn, autocommit=True) as conn:
        readmit(conn)
    return len(results)


def remove_prefix(prefix: str, *, settings: Settings | None = None) -> int:
    """Delete every object under ``prefix`` in the project bucket (test/benchmark cleanup)."""
    from minio.deleteobjects import DeleteObject

    from generator.writer import minio_client

    s = settings or get_settings()
    client = minio_client(s)
    names = [
        o.object_name for o in client.list_objects(s.minio_bucket, prefix=prefix, recursive=True)
    ]
    errors = list(client.remove_objects(s.minio_bucket, [DeleteObject(n) for n in names]))
    if errors:
        raise RuntimeError(f"could not delete {len(errors)} object(s) under {prefix}: {errors[:3]}")
    return len(names)
