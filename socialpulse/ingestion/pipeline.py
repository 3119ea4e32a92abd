"""Per object: read -> validate -> clean -> load, in one transaction with its manifest row.

Exactly once, per object version (key + ETag):

1. ``pg_advisory_xact_lock`` on the key: a second loader of the same object waits, then
   sees the manifest row the first one committed and skips it.
2. The manifest row is inserted first (invisible until commit), then lines are streamed in
   batches: validated, reference-checked, de-duplicated within the file (Python, see
   :mod:`clean`), COPied into a temp staging table and inserted into ``raw.events`` with
   ``ON CONFLICT (event_id) DO NOTHING`` (a writer thread does batch *n* while batch *n+1*
   is validated); rejects are COPied into ``raw.quarantine``.
3. The inserts run under a global advisory lock held until commit. Only if some staged
   lines were skipped (event_id loaded by an earlier file) or repeated with other bytes
   are those compared with the loaded events (duplicate / conflict).
4. Commit. A crash anywhere before leaves no trace; a poison object rolls back to a
   savepoint and is recorded as one quarantine row instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from socialpulse.ingestion import clean, loader, manifest, quarantine, reader
from socialpulse.ingestion.config import IngestSettings
from socialpulse.ingestion.manifest import FileCounts
from socialpulse.ingestion.reader import ObjectRef, PoisonObjectError
from socialpulse.ingestion.validate import Rejected, validate_batch

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


class _BatchWriter:
    """Writes one file's batches (COPY stage + quarantine, INSERT) on a background thread.

    PostgreSQL parses, indexes and writes batch *n* while Python validates batch *n + 1*:
    on 2 cores the two halves of the work overlap. At most one batch is in flight, so memory
    stays bounded by two batches. The connection is shared (psycopg serialises statements on
    it); every statement still runs in the file's transaction.
    """

    def __init__(
        self, conn: psycopg.Connection, obj: ObjectRef, manifest_id: int, timer: _Timer
    ) -> None:
        self.conn, self.obj, self.manifest_id, self.timer = conn, obj, manifest_id, timer
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="ingest-writer")
        self.pending: Future[None] | None = None
        self.pending_batch = 0
        self.inserted = 0
        self.locked = False

    def _write(self, rows: list[bytes], rejected: list[Rejected], lines: tuple[int, int]) -> None:
        conn = self.conn
        with self.timer.stage("load"):
            loader.stage(conn, rows)
            quarantine.add_lines(conn, self.manifest_id, self.obj.key, rejected)
            if rows:
                if not self.locked:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (loader.EVENTS_WRITE_LOCK,))
                    self.locked = True
                self.inserted += loader.insert_new(conn, self.manifest_id, self.obj.key, *lines)

    def submit(
        self,
        n: int,
        rows: list[bytes],
        rejected: list[Rejected],
        lines: tuple[int, int],
        on_batch: BatchHook | None,
    ) -> None:
        self.wait(on_batch)
        self.pending = self.pool.submit(self._write, rows, rejected, lines)
        self.pending_batch = n

    def wait(self, on_batch: BatchHook | None) -> None:
        """Wait for the batch in flight (re-raising its error), then call the test hook."""
        if self.pending is None:
            return
        pending, self.pending = self.pending, None
        pending.result()
        if on_batch is not None:
            on_batch(self.obj.key, self.pending_batch)

    def close(self) -> None:
        """Never leave the thread using the connection: wait for it, ignoring its error."""
        if self.pending is not None:
            with suppress(BaseException):
                self.pending.result()
            self.pending = None
        self.pool.shutdown(wait=True)


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
    dedupe = clean.FileDeduper()
    batches = reader.iter_batches(reader.iter_lines(stream), cfg.batch_size)
    writer = _BatchWriter(conn, obj, manifest_id, timer)
    try:
        for n, batch in enumerate(_timed(batches, timer, "read"), start=1):
            counts.rows_read += len(batch)
            with timer.stage("validate"):
                accepted, rejected = validate_batch(batch, now)
            with timer.stage("clean"):
                accepted, bad_refs = clean.check_references(accepted, users)
                rows = dedupe.rows(accepted)
            rejected += bad_refs
            _count_rejects(counts, rejected)
            writer.submit(n, rows, rejected, (batch[0][0], batch[-1][0]), on_batch)
        writer.wait(on_batch)
    finally:
        writer.close()
    dedupe.seen.clear()  # the file is staged: free the id -> hash map
    counts.rows_loaded = writer.inserted
    counts.rows_duplicate = dedupe.duplicates
    if counts.rows_loaded < dedupe.first or dedupe.repeats:
        with timer.stage("clean"):
            if not writer.locked:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (loader.EVENTS_WRITE_LOCK,))
            duplicates, conflicts = clean.classify_skipped(conn, manifest_id)
            quarantine.add_lines(conn, manifest_id, obj.key, conflicts)
        counts.rows_duplicate += duplicates
        _count_rejects(counts, conflicts)
        skipped = dedupe.first - counts.rows_loaded + dedupe.repeats
        if duplicates + len(conflicts) != skipped:  # cannot happen; the CHECK would fail too
            raise RuntimeError(
                f"{obj.key}: {skipped} staged line(s) not inserted but "
                f"{duplicates + len(conflicts)} classified"
            )


def _count_rejects(counts: FileCounts, rejected: list[Rejected]) -> None:
    counts.rows_rejected += len(rejected)
    for r in rejected:
        counts.rejected_by_reason[r.reason] = counts.rejected_by_reason.get(r.reason, 0) + 1


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
