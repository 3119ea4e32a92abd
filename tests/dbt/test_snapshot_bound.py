"""A transform run's snapshot bound is safe: every raw row at or below it is committed, every row
inserted later has a later ``loaded_at``; and runs chain their snapshots without gaps."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from socialpulse.ingestion.loader import lock_events_for_write
from socialpulse.settings import Settings
from socialpulse.transform import snapshot
from socialpulse.transform.world import ensure_database

pytestmark = [pytest.mark.stack]

DB = "socialpulse_snapshot_test"


@pytest.fixture(scope="module")
def dsn(started_service: Callable[[str], Any], settings: Settings) -> str:
    started_service("postgres")
    return ensure_database(DB, settings, fresh=True)


def _insert_event(conn: psycopg.Connection) -> datetime:
    """One raw event the way a loader writes it (under the write lock); its loaded_at."""
    manifest = conn.execute(
        """INSERT INTO raw.ingest_manifest (object_key, etag, version, size_bytes, status,
                                            started_at)
           VALUES (%s, 'etag', 1, 1, 'loaded', now()) RETURNING manifest_id""",
        (f"events/{uuid.uuid4()}.jsonl.gz",),
    ).fetchone()
    assert manifest is not None
    lock_events_for_write(conn)
    row = conn.execute(
        """INSERT INTO raw.events (event_id, event_type, occurred_at, schema_version, entity_type,
                                   entity_id, payload, event_hash, manifest_id, source_object,
                                   source_line)
           VALUES (%s, 'post_viewed', now(), 1, 'post', '1', '{}', 'h', %s, 'k', 1)
           RETURNING loaded_at""",
        (uuid.uuid4(), manifest[0]),
    ).fetchone()
    assert row is not None
    return row[0]


def test_the_bound_waits_for_the_writer_in_flight_and_later_rows_load_after_it(dsn: str) -> None:
    bound: list[datetime] = []

    def take_bound() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            row = conn.execute("SELECT raw.load_snapshot_bound()").fetchone()
            assert row is not None
            bound.append(row[0])

    with psycopg.connect(dsn) as writer:
        in_flight = _insert_event(writer)  # holds the write lock, not committed yet
        taker = threading.Thread(target=take_bound)
        taker.start()
        time.sleep(1.0)
        assert taker.is_alive(), "the bound must wait for the uncommitted writer"
        writer.commit()
    taker.join(timeout=30)
    assert bound, "the bound was never returned"
    assert in_flight <= bound[0]  # the committed row is inside the snapshot ...
    with psycopg.connect(dsn) as later:
        after = _insert_event(later)
        later.commit()
    assert after > bound[0]  # ... and a row loaded after it is outside, for good


def test_runs_chain_their_snapshots_and_a_retry_keeps_the_runs_own(dsn: str) -> None:
    consumer = f"test-{uuid.uuid4().hex[:8]}"
    first = snapshot.begin(dsn, "run-1", consumer)
    assert first.load_ts_from is None
    assert snapshot.begin(dsn, "run-1", consumer) == first  # a retried task: same bounds
    # a run that never completes leaves its rows to the next one
    second = snapshot.begin(dsn, "run-2", consumer)
    assert second.load_ts_from is None
    assert second.load_ts_to > first.load_ts_to
    snapshot.complete(dsn, "run-2", consumer)
    third = snapshot.begin(dsn, "run-3", consumer)
    assert third.load_ts_from == second.load_ts_to
    assert third.dbt_vars() == {
        "load_ts_from": second.load_ts_to.isoformat(),
        "load_ts_to": third.load_ts_to.isoformat(),
    }
    assert third.load_ts_to <= datetime.now(UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _relay_opening_late(port: int, target: tuple[str, int], after_s: float) -> Iterator[None]:
    """Nothing listens on ``port`` for ``after_s`` seconds (PostgreSQL restarting), then it
    relays every connection to the real server at ``target``."""
    stop = threading.Event()

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        with src, dst:
            while data := src.recv(65536):
                dst.sendall(data)

    def serve() -> None:
        if stop.wait(after_s):
            return
        with socket.create_server(("127.0.0.1", port)) as server:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    server_thread = threading.Thread(target=serve, daemon=True)
    server_thread.start()
    try:
        yield
    finally:
        stop.set()
        server_thread.join(timeout=5)


def test_a_snapshot_waits_for_postgres_to_come_back_and_gives_up_after_its_bound(
    dsn: str,
) -> None:
    params = conninfo_to_dict(dsn)
    target = (str(params.get("host", "127.0.0.1")), int(params.get("port", 5432)))
    port = _free_port()
    restarting = make_conninfo(dsn, host="127.0.0.1", port=port)
    consumer = f"test-{uuid.uuid4().hex[:8]}"
    with pytest.raises(psycopg.OperationalError):
        snapshot.begin(restarting, "run-1", consumer, wait_s=2)  # nobody answers in time
    started = time.monotonic()
    with _relay_opening_late(port, target, after_s=3):
        taken = snapshot.begin(restarting, "run-1", consumer, wait_s=60)
        completed = snapshot.complete(restarting, "run-1", consumer, wait_s=60)
    assert time.monotonic() - started >= 3  # it waited for the server ...
    assert completed.completed_at is not None  # ... then took and completed the snapshot
    # the bounds it took through the relay are the run's, as the server recorded them
    assert snapshot.begin(dsn, "run-1", consumer) == replace(
        taken, completed_at=completed.completed_at
    )
