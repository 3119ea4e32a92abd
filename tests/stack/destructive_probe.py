"""Not collected by default (no ``test_`` prefix): run by ``test_isolation.py`` in a child
pytest. It does the most destructive things the suite's fixtures do, through the same
``settings`` fixture they use: empty the raw tables, drop the vault, empty the bucket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from minio.deleteobjects import DeleteObject

from generator.writer import minio_client
from socialpulse.ingestion.migrate import migrate
from socialpulse.settings import Settings


def test_wipe_what_the_suite_may_wipe(
    settings: Settings, started_service: Callable[[str], Any]
) -> None:
    started_service("postgres")
    started_service("minio")
    migrate(settings.warehouse_dsn)
    with psycopg.connect(settings.warehouse_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS raw_vault CASCADE")
        conn.execute("TRUNCATE raw.events, raw.quarantine, raw.known_users, raw.ingest_manifest")
        left = conn.execute("SELECT count(*) FROM raw.ingest_manifest").fetchone()
    client = minio_client(settings)
    names = [o.object_name for o in client.list_objects(settings.minio_bucket, recursive=True)]
    assert not list(client.remove_objects(settings.minio_bucket, [DeleteObject(n) for n in names]))
    assert left == (0,)
