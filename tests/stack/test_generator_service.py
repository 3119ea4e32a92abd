"""The live generator as a service: one object per minute, and a restart that neither repeats
nor skips a minute (its world is saved after every minute it writes)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import psycopg
import pytest

from generator.state import state_path
from generator.writer import minio_client
from infra.stack.generator import GeneratorService
from socialpulse.settings import Settings

pytestmark = [pytest.mark.stack, pytest.mark.slow]

BUCKET = "generator-service-test"
#: A simulated minute every 3 s of real time, so a few minutes take seconds.
MINUTE_SECONDS = 3.0
_MINUTE = re.compile(r"events/\d{4}/\d\d/\d\d/\d\d/(\d{4}-\d\d-\d\dT\d\d:\d\d):00Z\.jsonl\.gz$")


def _minute_objects(client: Any) -> dict[str, str]:
    """object key -> ETag of every minute object in the test bucket."""
    return {
        str(o.object_name): str(o.etag)
        for o in client.list_objects(BUCKET, prefix="events/", recursive=True)
        if _MINUTE.search(str(o.object_name))
    }


def _wait_for_objects(client: Any, at_least: int, timeout_s: float = 120) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        objects = _minute_objects(client)
        if len(objects) >= at_least:
            return objects
        time.sleep(1)
    raise AssertionError(f"fewer than {at_least} minute objects after {timeout_s:.0f} s")


def test_one_object_per_minute_and_a_restart_neither_repeats_nor_skips(
    settings: Settings, started_service: Callable[[str], Any]
) -> None:
    started_service("minio")
    s = settings.model_copy(
        update={
            "minio_bucket": BUCKET,
            "generator_world": "service-test",
            "generator_users": 60,
            "generator_minute_seconds": MINUTE_SECONDS,
        }
    )
    state_path(s, s.generator_world).unlink(missing_ok=True)
    client = minio_client(s)
    if client.bucket_exists(BUCKET):  # a new world: no objects, no owner record left
        for obj in client.list_objects(BUCKET, recursive=True):
            client.remove_object(BUCKET, str(obj.object_name))
    generator = GeneratorService(s)
    generator.stop()  # the stack's generator of another world (one pid file per stack)
    try:
        generator.start()
        assert generator.health()
        first = _wait_for_objects(client, 3)
        generator.stop()  # SIGTERM: finishes its minute, saves the world
        assert generator.pid() is None
        stopped = _minute_objects(client)
        generator.start()
        after = _wait_for_objects(client, len(stopped) + 3)
    finally:
        generator.stop()
    minutes = sorted(datetime.fromisoformat(m.group(1)) for k in after if (m := _MINUTE.search(k)))
    steps = {b - a for a, b in pairwise(minutes)}
    assert steps == {timedelta(minutes=1)}, "a minute was repeated or skipped across the restart"
    # nothing written before the restart was written again
    assert {k: after[k] for k in stopped} == stopped
    assert set(first) <= set(stopped)


def test_the_demo_begins_again_a_world_the_service_began_live_while_none_of_it_is_loaded(
    settings: Settings, started_service: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stack up` before any demo starts the generator on a world without history; the demo
    begins that world again BACKFILL_DAYS back while ingestion has loaded none of it, and
    keeps it once a file was loaded."""
    from socialpulse import demo
    from socialpulse.transform.world import ensure_database

    for name in ("minio", "postgres"):
        started_service(name)
    database = "demo_world_test"
    dsn = ensure_database(database, settings, fresh=True)
    s = settings.model_copy(
        update={
            "minio_bucket": BUCKET,
            "postgres_db": database,
            "generator_world": "demo-test",
            "generator_users": 60,
            "generator_minute_seconds": MINUTE_SECONDS,
        }
    )
    monkeypatch.setattr(demo, "BACKFILL_DAYS", 20 / (24 * 60))  # 20 minutes of history
    state_path(s, s.generator_world).unlink(missing_ok=True)
    client = minio_client(s)
    if client.bucket_exists(BUCKET):
        for obj in client.list_objects(BUCKET, recursive=True):
            client.remove_object(BUCKET, str(obj.object_name))
    generator = GeneratorService(s)
    generator.stop()
    try:
        generator.start()
        live = _wait_for_objects(client, 2)
    finally:
        generator.stop()
    began_at = datetime.now(UTC)

    demo.backfill_world(s)  # nothing loaded: begun again 20 minutes back

    objects = _minute_objects(client)
    minutes = sorted(
        datetime.fromisoformat(m.group(1)) for k in objects if (m := _MINUTE.search(k))
    )
    assert not set(live.items()) & set(objects.items()), "a file of the live world was kept"
    assert {b - a for a, b in pairwise(minutes)} == {timedelta(minutes=1)}
    assert minutes[0].replace(tzinfo=UTC) <= began_at - timedelta(minutes=19)
    assert len(minutes) >= 19

    # as young, but one of its files loaded: the world is kept and continued
    monkeypatch.setattr(demo, "BACKFILL_DAYS", 1.0)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO raw.ingest_manifest (object_key, etag, version, size_bytes, status, started_at) "
            "VALUES (%s, 'etag', 1, 1, 'loaded', now())",
            (min(objects),),
        )
    demo.backfill_world(s)
    assert set(objects) <= set(_minute_objects(client))
