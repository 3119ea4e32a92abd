"""Load (the only stage that writes ``raw``) and the whole pipeline in one call.

Exactly once, per object version (key + ETag):

1. ``pg_advisory_xact_lock`` on the key: a second loader of the same object waits, then
   sees the manifest row the first one committed and skips it.
2. The manifest row is inserted first (invisible until commit); the rejected lines of the
   validate and clean stages are COPied into ``raw.quarantine``; the clean stage's batches
   are COPied straight into ``raw.events`` (see :class:`_EventsWriter` for the rare batch
   that meets an event loaded meanwhile); its users go into ``raw.known_users``.
3. The inserts run under a global advisory lock held until commit. Only if some staged
   lines were skipped (event_id loaded meanwhile by an earlier object) or repeats were
   staged are those compared with the loaded events (duplicate / conflict).
4. Commit. A crash anywhere before leaves no trace; a poison object (found by the read
   stage) is recorded as one quarantine row with its manifest row instead.

:func:`process_objects` runs read -> validate -> clean -> load -> clean-up in one process
(tests, benchmark, demo world); the DAG runs the same functions as separate tasks.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import psycopg.errors

from socialpulse.ingestion import faults, loader, manifest, quarantine, stages
from socialpulse.ingestion.batch_gc import batch_gc
from socialpulse.ingestion.config import IngestSettings
from socialpulse.ingestion.loader import copy_escape
from socialpulse.ingestion.manifest import FileCounts
from socialpulse.ingestion.reader import ObjectRef
from socialpulse.ingestion.reasons import Reason
from socialpulse.ingestion.work import WorkArea

log = logging.getLogger(__name__)

#: Test hook: called after each batch is inserted with (object key, batch number).
BatchHook = Callable[[str, int], None]


class IngestError(RuntimeError):
    """Some objects could not be processed; they stay pending and the next try retries them."""


class DependencyNotLoadedError(IngestError):
    """An object relies on users registered by an earlier object of the run that did not
    load (yet); the load stage cleans it again against the committed users only."""


@dataclass
class FileResult:
    key: str
    etag: str
    outcome: str  # loaded | quarantined | skipped (already loaded by someone else)
    counts: FileCounts
    reason: str | None = None


def _counts(item: dict[str, Any]) -> FileCounts:
    by_reason = dict(item.get("rejected_by_reason", {}))
    return FileCounts(
        rows_read=item.get("rows_read", 0),
        rows_rejected=sum(by_reason.values()),
        rows_duplicate=item.get("duplicates", 0),
        read_ms=item.get("read_ms", 0),
        validate_ms=item.get("validate_ms", 0),
        clean_ms=item.get("clean_ms", 0),
        rejected_by_reason=by_reason,
    )


def _check_dependencies(conn: psycopg.Connection, area: WorkArea, item: dict[str, Any]) -> None:
    """Users this object took from earlier objects of the run must be committed by now."""
    full = area.get_result("clean", item["oid"]) or {}
    needed = full.get("needs_users") or []
    if not needed:
        return
    row = conn.execute(
        "SELECT count(*) FROM unnest(%s::integer[]) u(id) "
        "WHERE NOT EXISTS (SELECT 1 FROM raw.known_users k WHERE k.user_id = u.id)",
        (needed,),
    ).fetchone()
    if row and row[0]:
        raise DependencyNotLoadedError(
            f"{item['key']}: {row[0]} user(s) registered by an earlier object of this run "
            "are not loaded (that object failed)"
        )


EVENTS_COPY_COLUMNS = (
    "manifest_id, source_object, event_id, event_type, occurred_at, schema_version, actor_id, "
    "entity_type, entity_id, payload, event_hash, source_line"
)


class _EventsWriter:
    """Writes one object's cleaned batches inside its transaction.

    The usual path is ONE ``COPY`` straight into ``raw.events`` per batch (no staging
    table, no per-row conflict handling): the clean stage already dropped the events that
    were loaded, and the global write lock keeps others out until commit. Only if a COPY
    meets an event_id loaded in between (an earlier object of the same run, or another
    loader) is that batch rolled back to its savepoint and loaded through the staging
    table with ``INSERT ... ON CONFLICT DO NOTHING``; the skipped lines are classified at
    the end like staged repeats.
    """

    def __init__(self, conn: psycopg.Connection, manifest_id: int, key: str) -> None:
        self.conn, self.manifest_id, self.key = conn, manifest_id, key
        self.prefix = b"%d\t%s\t" % (manifest_id, copy_escape(key.encode()))
        self.locked = False

    def write(self, batch: dict[str, Any]) -> int:
        """Stage the batch's repeats, insert its new events; returns events inserted."""
        conn = self.conn
        if batch["repeats"]:
            loader.stage(conn, [batch["repeats"]])
        rows: bytes = batch["rows"]
        if not rows:
            return 0
        if not self.locked:
            loader.lock_events_for_write(conn)
            self.locked = True
        # Every row gets "manifest_id<TAB>source_object<TAB>" in front: a raw newline only
        # ever ends a COPY row (newlines inside values are escaped), so one replace does it.
        data = self.prefix + rows[:-1].replace(b"\n", b"\n" + self.prefix) + b"\n"
        try:
            with conn.transaction(), conn.cursor() as cur:
                with cur.copy(f"COPY raw.events ({EVENTS_COPY_COLUMNS}) FROM STDIN") as cp:
                    cp.write(data)
                self._register(batch)
            return len(batch["line_nos"])
        except psycopg.errors.UniqueViolation:
            log.info("%s: an event of lines %d..%d was loaded meanwhile; inserting that batch "
                     "with ON CONFLICT", self.key, batch["first_line"], batch["last_line"])  # fmt: skip
        staged = b"".join(
            b"%d\t%s\t%s\t%s\tf\n" % (n, eid.hex().encode(), digest.encode(), copy_escape(line))
            for n, eid, digest, line in zip(
                batch["line_nos"], batch["event_ids"], batch["digests"], batch["lines"],
                strict=True,
            )
        )  # fmt: skip
        loader.stage(conn, [staged])
        return loader.insert_new(
            conn, self.manifest_id, self.key, batch["first_line"], batch["last_line"]
        )

    def _register(self, batch: dict[str, Any]) -> None:
        if not batch["reg_users"]:
            return
        self.conn.execute(
            """INSERT INTO raw.known_users (user_id, event_id, registered_at)
               SELECT * FROM unnest(%s::integer[], %s::uuid[], %s::timestamptz[])
               ON CONFLICT (user_id) DO NOTHING""",
            (batch["reg_users"], [UUID(bytes=b) for b in batch["reg_event_ids"]],
             batch["reg_at"]),
        )  # fmt: skip


def load_object(
    conn: psycopg.Connection,
    area: WorkArea,
    item: dict[str, Any],
    run_id: str,
    on_batch: BatchHook | None = None,
) -> FileResult:
    """Load one cleaned (or poison) object version exactly once (see the module docstring)."""
    key, etag = item["key"], item["etag"]
    counts = _counts(item)
    started = datetime.now(UTC)
    with conn.transaction():
        manifest.lock_object(conn, key)
        if manifest.already_done(conn, key, etag):
            log.info("skip %s (etag %s): already loaded", key, etag)
            return FileResult(key, etag, "skipped", FileCounts())
        manifest_id, version = manifest.begin(conn, key, etag, item["size"], run_id, started)
        if item["status"] == "poison":
            reason, detail = Reason(item["reason"]), item["detail"]
            counts = FileCounts(read_ms=counts.read_ms)
            quarantine.add_object(conn, manifest_id, key, reason, detail)
            manifest.finish(conn, manifest_id, counts, "quarantined", reason.value, detail)
            log.error("quarantined object %s: %s (%s)", key, reason, detail)
            return FileResult(key, etag, "quarantined", counts, reason.value)
        t0 = time.perf_counter()
        _check_dependencies(conn, area, item)
        loader.prepare_session(conn)
        quarantine.add_rows(conn, manifest_id, key, stages.iter_rejects(area, item["oid"]))
        writer = _EventsWriter(conn, manifest_id, key)
        with area.reader("clean", item["oid"], "copy") as batches:
            for n, rb in enumerate(batches, start=1):
                for batch in rb.to_pylist():
                    counts.rows_loaded += writer.write(batch)
                if on_batch is not None:
                    on_batch(key, n)
        locked = writer.locked
        first_staged, repeats = item.get("staged_first", 0), item.get("staged_repeats", 0)
        if counts.rows_loaded < first_staged or repeats:
            if not locked:
                loader.lock_events_for_write(conn)
            duplicates, conflicts = _classify(conn, manifest_id, key)
            counts.rows_duplicate += duplicates
            counts.rows_rejected += len(conflicts)
            for r in conflicts:
                counts.rejected_by_reason[r.reason] = counts.rejected_by_reason.get(r.reason, 0) + 1
            skipped = first_staged - counts.rows_loaded + repeats
            if duplicates + len(conflicts) != skipped:  # cannot happen; the CHECK would fail too
                raise RuntimeError(
                    f"{key}: {skipped} staged line(s) not inserted but "
                    f"{duplicates + len(conflicts)} classified"
                )
        counts.load_ms = round((time.perf_counter() - t0) * 1000)
        # An object whose unreadable tail was quarantined is loaded; the manifest says why
        # it is partial.
        manifest.finish(conn, manifest_id, counts, "loaded", item.get("tail_reason"),
                        item.get("tail_detail"))  # fmt: skip
    log.info(
        "loaded %s v%d: read=%d loaded=%d rejected=%d duplicate=%d %s",
        key, version, counts.rows_read, counts.rows_loaded, counts.rows_rejected,
        counts.rows_duplicate, counts.rejected_by_reason or "",
    )  # fmt: skip
    return FileResult(key, etag, "loaded", counts)


def _classify(conn: psycopg.Connection, manifest_id: int, key: str) -> tuple[int, list[Any]]:
    from socialpulse.ingestion.clean import classify_skipped

    duplicates, conflicts = classify_skipped(conn, manifest_id)
    quarantine.add_lines(conn, manifest_id, key, conflicts)
    return duplicates, conflicts


@batch_gc()
def load_objects(
    dsn: str,
    area: WorkArea,
    items: list[dict[str, Any]],
    run_id: str,
    on_batch: BatchHook | None = None,
) -> tuple[list[FileResult], list[str]]:
    """Load objects in key order, one transaction each; returns (results, failed keys).

    A failing object (MinIO or PostgreSQL unreachable, a bug) is logged with its key and
    stays pending; the others still load.
    """
    results: list[FileResult] = []
    failed: list[str] = []
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as exc:
        log.error("cannot connect to the warehouse: %s", exc)
        raise IngestError(f"cannot connect to the warehouse: {exc}") from exc
    with conn:
        for n, item in enumerate(items):
            try:
                try:
                    results.append(_load_or_reclean(conn, area, item, run_id, on_batch))
                except Exception as exc:
                    if faults.is_service_failure(exc) or conn.closed or conn.broken:
                        raise
                    # Not a service's fault: it would fail the same way on every retry.
                    # Its transaction is rolled back; quarantine the object instead.
                    detail = faults.describe("load", exc)
                    log.error("could not load %s (etag %s), quarantining it: %s",
                              item["key"], item["etag"], detail)  # fmt: skip
                    poison = {**item, "status": "poison", "detail": detail,
                              "reason": Reason.UNPROCESSABLE_OBJECT.value}  # fmt: skip
                    results.append(load_object(conn, area, poison, run_id))
            except Exception as exc:
                log.error("failed to load %s (etag %s): %s", item["key"], item["etag"], exc)
                failed.append(item["key"])
                if conn.closed or conn.broken:
                    failed.extend(i["key"] for i in items[n + 1 :])
                    break
    return results, failed


def _load_or_reclean(
    conn: psycopg.Connection,
    area: WorkArea,
    item: dict[str, Any],
    run_id: str,
    on_batch: BatchHook | None,
) -> FileResult:
    try:
        return load_object(conn, area, item, run_id, on_batch)
    except DependencyNotLoadedError as exc:
        # Clean it again against the committed users only: lines that need the missing
        # users are quarantined (reconcile re-admits them later) and the object never
        # waits for the one that failed.
        log.warning("%s; cleaning it again without this run's registrations", exc)
        fresh = stages.reclean_object(area, conn, item)
        return load_object(conn, area, fresh, run_id, on_batch)


def process_objects(
    dsn: str,
    client: Any,
    bucket: str,
    objects: list[ObjectRef],
    cfg: IngestSettings,
    run_id: str = "manual",
    on_batch: BatchHook | None = None,
) -> list[FileResult]:
    """read -> validate -> clean -> load in one process (the DAG's stages, in sequence).

    Poison objects are quarantined (not failures). Objects that fail in any stage are
    logged with their key, stay pending, and :class:`IngestError` is raised at the end.
    The run's artefacts are removed at the end, whatever happened.
    """
    area = WorkArea(client, bucket, cfg.work_prefix, f"{run_id}-{uuid.uuid4().hex[:8]}")
    failed: list[str] = []
    try:
        read = stages.read_objects(area, bucket, objects, cfg)
        valid = stages.validate_objects(area, read.items, cfg)
        cleaned = stages.clean_objects(area, dsn, valid.items)
        failed += read.failed + valid.failed + cleaned.failed
        results, load_failed = load_objects(dsn, area, cleaned.items, run_id, on_batch)
        failed += load_failed
    finally:
        try:
            area.remove()
        except Exception as exc:  # best effort: the stale sweep removes it later
            log.error("could not remove the artefacts of %s: %s", area.root, exc)
    if failed:
        raise IngestError(f"{len(failed)} object(s) failed and stay pending: {failed[:5]}")
    return results
