"""Per object: read -> validate -> clean -> load, in one transaction with its manifest row.

Exactly once, per object version (key + ETag):

1. ``pg_advisory_xact_lock`` on the key: a second loader of the same object waits, then
   sees the manifest row the first one committed and skips it.
2. The manifest row is inserted first (invisible until commit), then lines are streamed in
   batches: validated, reference-checked, COPied into a temp staging table; rejects are
   COPied into ``raw.quarantine``.
3. Under a short global lock, the staged file is classified against itself and
   ``raw.events`` (new / duplicate / conflict) and the new events inserted.
4. Commit. A crash anywhere before leaves no trace; a poison object rolls back to a
   savepoint and is recorded as one quarantine row instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from socialpulse.ingestion import clean, loader, manifest, quarantine, reader
from socialpulse.ingestion.config import IngestSettings
from socialpulse.ingestion.manifest import FileCounts
from socialpulse.ingestion.reader import ObjectRef, PoisonObjectError
from socialpulse.ingestion.validate import validate_batch

log = logging.getLogger(__name__)

#: Test hook: called after each batch is staged with (object key, batch number).
BatchHook = Callable[[str, int], None]


class IngestError(RuntimeError):
    """Some objects could not be processed; they stay pending and the next try retries them."""


@dataclass
class FileResult:
    key: str
    etag: str
    outcome: str  # loaded | quarantined | skipped (already loaded by someone else)
    counts: FileCounts
    reason: str | None = None


class _Timer:
    """Accumulates milliseconds per stage into a FileCounts."""

    def __init__(self, counts: FileCounts) -> None:
        self.counts = counts

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            ms = round((time.perf_counter() - t0) * 1000)
            setattr(self.counts, f"{name}_ms", getattr(self.counts, f"{name}_ms") + ms)


def _timed(iterator: Iterator[Any], timer: _Timer, name: str) -> Iterator[Any]:
    """Charge the time spent producing each item (network + gunzip) to ``name``."""
    while True:
        with timer.stage(name):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def _load_lines(
    conn: psycopg.Connection,
    stream: Any,
    obj: ObjectRef,
    manifest_id: int,
    cfg: IngestSettings,
    counts: FileCounts,
    on_batch: BatchHook | None,
) -> None:
    timer = _Timer(counts)
    now = datetime.now(UTC) + timedelta(seconds=cfg.future_skew_seconds)
    users = clean.UserDirectory(conn)
    batches = reader.iter_batches(reader.iter_lines(stream), cfg.batch_size)
    for n, batch in enumerate(_timed(batches, timer, "read"), start=1):
        counts.rows_read += len(batch)
        with timer.stage("validate"):
            accepted, rejected = validate_batch(batch, now)
        with timer.stage("clean"):
            accepted, bad_refs = clean.check_references(accepted, users)
        rejected += bad_refs
        with timer.stage("load"):
            loader.stage(conn, accepted)
            quarantine.add_lines(conn, manifest_id, obj.key, rejected)
        counts.rows_rejected += len(rejected)
        for r in rejected:
            counts.rejected_by_reason[r.reason] = counts.rejected_by_reason.get(r.reason, 0) + 1
        if on_batch is not None:
            on_batch(obj.key, n)
    with timer.stage("clean"):
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (loader.EVENTS_WRITE_LOCK,))
        verdicts = clean.classify_duplicates(conn, manifest_id, obj.key)
    with timer.stage("load"):
        counts.rows_loaded = loader.insert_new(conn, manifest_id, obj.key)
    counts.rows_duplicate = verdicts["duplicate"]
    counts.rows_rejected += verdicts["conflict"]
    if verdicts["conflict"]:
        key = "duplicate_event_id_conflict"
        counts.rejected_by_reason[key] = (
            counts.rejected_by_reason.get(key, 0) + verdicts["conflict"]
        )


def process_object(
    conn: psycopg.Connection,
    client: Any,
    bucket: str,
    obj: ObjectRef,
    cfg: IngestSettings,
    run_id: str,
    on_batch: BatchHook | None = None,
) -> FileResult:
    """Load one object version exactly once (see the module docstring)."""
    counts = FileCounts()
    started = datetime.now(UTC)
    with conn.transaction():
        manifest.lock_object(conn, obj.key)
        if manifest.already_done(conn, obj.key, obj.etag):
            log.info("skip %s (etag %s): already loaded", obj.key, obj.etag)
            return FileResult(obj.key, obj.etag, "skipped", counts)
        manifest_id, version = manifest.begin(conn, obj.key, obj.etag, obj.size, run_id, started)
        loader.prepare_session(conn)
        try:
            with conn.transaction(), reader.open_object(client, bucket, obj.key) as stream:
                _load_lines(conn, stream, obj, manifest_id, cfg, counts, on_batch)
        except PoisonObjectError as poison:
            counts = FileCounts(read_ms=counts.read_ms)
            quarantine.add_object(conn, manifest_id, obj.key, poison.reason, poison.detail)
            manifest.finish(
                conn, manifest_id, counts, "quarantined", poison.reason.value, poison.detail
            )
            log.error("quarantined object %s: %s (%s)", obj.key, poison.reason, poison.detail)
            return FileResult(obj.key, obj.etag, "quarantined", counts, poison.reason.value)
        manifest.finish(conn, manifest_id, counts)
    log.info(
        "loaded %s v%d: read=%d loaded=%d rejected=%d duplicate=%d %s",
        obj.key, version, counts.rows_read, counts.rows_loaded, counts.rows_rejected,
        counts.rows_duplicate, counts.rejected_by_reason or "",
    )  # fmt: skip
    return FileResult(obj.key, obj.etag, "loaded", counts)


def process_objects(
    dsn: str,
    client: Any,
    bucket: str,
    objects: list[ObjectRef],
    cfg: IngestSettings,
    run_id: str = "manual",
    on_batch: BatchHook | None = None,
) -> list[FileResult]:
    """Process objects in key order; one failing object does not stop the others.

    Poison objects are quarantined (not failures). Any other error (MinIO or PostgreSQL
    unreachable, a bug) is logged with the key, the object stays pending, and
    :class:`IngestError` is raised at the end so Airflow retries the task.
    """
    results: list[FileResult] = []
    failed: list[str] = []
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as exc:
        log.error("cannot connect to the warehouse: %s", exc)
        raise IngestError(f"cannot connect to the warehouse: {exc}") from exc
    with conn:
        for obj in objects:
            try:
                results.append(process_object(conn, client, bucket, obj, cfg, run_id, on_batch))
            except Exception as exc:
                log.error("failed to load %s (etag %s): %s", obj.key, obj.etag, exc)
                failed.append(obj.key)
                if conn.closed or conn.broken:
                    break
    if failed:
        raise IngestError(f"{len(failed)} object(s) failed and stay pending: {failed[:5]}")
    return results
