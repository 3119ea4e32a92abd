"""`make test` beside a running pipeline leaves that pipeline exactly as it was.

The suite runs on its own stack (tests/conftest.py). Here the developer's own PostgreSQL and
MinIO run too (started through the stack code on their own ports, as `make stack-up` does, or
reused when they already run), hold a canary, and a child pytest then does the most destructive
things the suite's fixtures do; the developer's data must come out untouched.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from generator.writer import minio_client
from infra.stack.registry import service
from socialpulse.ingestion.migrate import migrate
from socialpulse.settings import REPO_ROOT, Settings

pytestmark = [pytest.mark.stack]

PORTS = [name for name in Settings.model_fields if name.endswith("_port")]


def test_every_port_and_the_state_dir_of_the_test_stack_are_its_own(
    settings: Settings, user_settings: Settings
) -> None:
    # The test stack's data lives in a folder no service of the user's stack uses.
    assert settings.state_dir == user_settings.state_dir / "test-stack"
    test_ports = {getattr(settings, name) for name in PORTS}
    user_ports = {getattr(user_settings, name) for name in PORTS}
    assert len(test_ports) == len(PORTS)
    assert not test_ports & user_ports


def _fingerprint(user: Settings) -> dict[str, Any]:
    """Every table's row count in the user's warehouse and every object in their bucket."""
    with psycopg.connect(user.warehouse_dsn) as conn:
        tables = conn.execute(
            "SELECT schemaname || '.' || relname FROM pg_stat_user_tables ORDER BY 1"
        ).fetchall()
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone() for (t,) in tables}
    client = minio_client(user)
    objects = sorted(
        (o.object_name, o.etag) for o in client.list_objects(user.minio_bucket, recursive=True)
    )
    return {"tables": counts, "objects": objects}


def test_the_suite_wipes_its_own_stack_and_never_the_developers(
    settings: Settings, user_settings: Settings, started_service: Callable[[str], Any]
) -> None:
    for name in ("postgres", "minio"):
        service(name, user_settings).start()  # the developer's own services
        started_service(name)
    migrate(user_settings.warehouse_dsn)
    canary = f"canary/{uuid.uuid4().hex}.txt"
    client = minio_client(user_settings)
    client.put_object(user_settings.minio_bucket, canary, io.BytesIO(b"mine"), length=4)
    with psycopg.connect(user_settings.warehouse_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS public.isolation_canary (note text)")
        conn.execute("INSERT INTO public.isolation_canary VALUES ('mine')")
    before = _fingerprint(user_settings)
    try:
        child = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "tests/stack/destructive_probe.py"],
            cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=600,
            check=False,
        )  # fmt: skip
        assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
        assert _fingerprint(user_settings) == before
        # ... while the probe did wipe the test stack's raw tables.
        with psycopg.connect(settings.warehouse_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM raw.ingest_manifest").fetchone() == (0,)
    finally:
        client.remove_object(user_settings.minio_bucket, canary)
        with psycopg.connect(user_settings.warehouse_dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS public.isolation_canary")
