"""Fixtures for ingestion tests: a migrated warehouse and generator worlds in MinIO.

Every world lives under its own key prefix (``test-ingest-<session>/<name>/``) in the
project bucket, so these tests never see objects of other tests or of the demo; the raw
tables are truncated by ``clean_raw`` for tests that need a clean slate.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from ingest_world import World

from generator import runner, simulation, state
from generator.writer import MinioSink, ObjectWriter, minio_client
from socialpulse.ingestion.discover import discover
from socialpulse.ingestion.migrate import migrate
from socialpulse.ingestion.pipeline import FileResult, process_objects
from socialpulse.ingestion.quarantine import readmit
from socialpulse.settings import Settings

SESSION_ROOT = f"test-ingest-{uuid.uuid4().hex[:10]}/"
#: Worlds start a day ago, so every event is in the past when it is ingested.
START = (datetime.now(UTC) - timedelta(days=1)).replace(second=0, microsecond=0)


@pytest.fixture(scope="session")
def warehouse(started_service: Callable[[str], Any], settings: Settings) -> str:
    started_service("postgres")
    migrate(settings.warehouse_dsn)
    return settings.warehouse_dsn


@pytest.fixture(scope="session")
def minio(started_service: Callable[[str], Any], settings: Settings) -> Iterator[Any]:
    started_service("minio")
    client = minio_client(settings)
    yield client
    from minio.deleteobjects import DeleteObject

    objs = client.list_objects(settings.minio_bucket, prefix=SESSION_ROOT, recursive=True)
    errors = client.remove_objects(
        settings.minio_bucket, [DeleteObject(o.object_name) for o in objs]
    )
    list(errors)


@pytest.fixture
def clean_raw(warehouse: str) -> str:
    """Empty raw tables (a clean slate for tests that count rows)."""
    with psycopg.connect(warehouse) as conn:
        conn.execute(
            "TRUNCATE raw.events, raw.quarantine, raw.known_users, raw.ingest_manifest "
            "RESTART IDENTITY"
        )
    return warehouse


def _defects(client: Any, bucket: str, root: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for o in client.list_objects(bucket, prefix=root + "defects/", recursive=True):
        resp = client.get_object(bucket, o.object_name)
        try:
            doc = json.loads(resp.read())
        finally:
            resp.close()
            resp.release_conn()
        for d in doc["defects"]:
            out.append({**d, "object_key": root + d["object_key"]})
    return out


@pytest.fixture(scope="session")
def make_world(minio: Any, settings: Settings) -> Callable[..., World]:
    """``make_world(name, minutes=, users=, dirty=)`` -> a World (cached per arguments)."""
    cache: dict[tuple[Any, ...], World] = {}

    def _make(
        name: str, *, minutes: int = 20, users: int = 150, dirty: float = 0.0, seed: int = 11
    ) -> World:
        args = (name, minutes, users, dirty, seed)
        if args in cache:
            return cache[args]
        root = f"{SESSION_ROOT}{name}/"
        gen = state.new_state(simulation.create_world(seed, START, users))
        writer = ObjectWriter(MinioSink(minio, settings.minio_bucket, root))
        try:
            stats = runner.backfill(gen, writer, minutes, dirty_rate=dirty)
        finally:
            writer.close()
        world = World(name, settings.minio_bucket, root, stats)
        world.defects = _defects(minio, settings.minio_bucket, root)
        cache[args] = world
        return world

    return _make


@pytest.fixture
def ingest(warehouse: str, minio: Any) -> Callable[..., list[FileResult]]:
    """``ingest(world)``: discover + process + readmit, like one DAG run."""

    def _ingest(world: World, **kwargs: Any) -> list[FileResult]:
        cfg = world.cfg()
        with psycopg.connect(warehouse, autocommit=True) as conn:
            todo = discover(conn, minio, cfg.source_bucket(world_settings()), cfg.prefix, 10_000)
        results = process_objects(warehouse, minio, world.bucket, todo, cfg, **kwargs)
        with psycopg.connect(warehouse, autocommit=True) as conn:
            readmit(conn)
        return results

    def world_settings() -> Settings:
        from socialpulse.settings import get_settings

        return get_settings()

    return _ingest
