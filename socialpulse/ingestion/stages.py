"""The four stages of the ``ingest_events`` DAG: read -> validate -> clean -> load.

Each stage is a separate Airflow task. Event data travels between them as run-scoped
artefacts in MinIO (:mod:`socialpulse.ingestion.work`), streamed batch by batch; only one
small dict per object (key, ETag, counts, timings) travels through XCom.

* **read** snapshots each object version: MinIO body -> gzip -> lines -> ``read`` batches
  (``line_no``, ``line``). A poison object (not gzip, not UTF-8, empty, vanished) is marked
  ``poison`` and skipped by validate and clean; load quarantines it.
* **validate** runs the shared Pydantic contracts over every line (2 worker processes for
  a backlog): ``valid`` batches (line, event_id, user ids, registered user) + ``rejects``.
* **clean** checks user references and drops duplicates (within the object, against the
  events already loaded): ``copy`` batches (COPY-ready rows) + more ``rejects``.
* **load** is the only stage that writes ``raw``: per object, ONE transaction with its
  manifest row (see :mod:`socialpulse.ingestion.pipeline` for the locking).

Every stage is idempotent: a per-object result JSON is written after the object's
artefacts, and a re-run of the stage (Airflow retry, cleared task) reuses it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import md5
from multiprocessing import get_context
from typing import Any

import psycopg
import pyarrow as pa

from socialpulse.ingestion import clean, reader, work
from socialpulse.ingestion.batch_gc import batch_gc, tune_for_batches
from socialpulse.ingestion.config import IngestSettings
from socialpulse.ingestion.reader import ObjectRef, PoisonObjectError
from socialpulse.ingestion.validate import Accepted, Rejected, events_row, validate_batch
from socialpulse.ingestion.work import WorkArea, object_id

log = logging.getLogger(__name__)

READ_SCHEMA = pa.schema([("line_no", pa.int32()), ("line", pa.binary())])
VALID_SCHEMA = pa.schema(
    [
        ("line_no", pa.int32()),
        ("line", pa.binary()),
        ("event_id", pa.binary(16)),
        ("user_ids", pa.list_(pa.int32())),
        ("registers", pa.int32()),  # the user a user_registered event introduces
        ("digest", pa.string()),  # md5 (hex) of the line as received
        ("row", pa.binary()),  # the raw.events COPY row (validate.events_row)
        ("occurred_at", pa.string()),  # registrations only (for raw.known_users)
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("line_no", pa.int32()),
        ("raw", pa.binary()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("event_id", pa.string()),
        ("missing_user_ids", pa.list_(pa.int32())),
    ]
)
#: One row per batch: the COPY text of its new events (``rows``) and of its repeats (for
#: the load stage's comparison), the first occurrences' line data (only used if a COPY
#: meets an event loaded meanwhile) and the registrations for ``raw.known_users``.
COPY_SCHEMA = pa.schema(
    [
        ("first_line", pa.int32()),
        ("last_line", pa.int32()),
        ("rows", pa.binary()),
        ("line_nos", pa.list_(pa.int32())),
        ("event_ids", pa.list_(pa.binary(16))),
        ("digests", pa.list_(pa.string())),
        ("lines", pa.list_(pa.binary())),
        ("repeats", pa.binary()),
        ("reg_users", pa.list_(pa.int32())),
        ("reg_event_ids", pa.list_(pa.binary(16))),
        ("reg_at", pa.list_(pa.string())),
    ]
)


class StageError(RuntimeError):
    """Some objects failed in a stage (not poison): they stay pending; retry the stage."""


@dataclass
class StageRun:
    """What a stage did: results per object (in order) and the keys that failed."""

    items: list[dict[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def raise_for_failures(self, stage: str) -> None:
        if self.failed:
            raise StageError(
                f"{stage}: {len(self.failed)} object(s) failed and stay pending: {self.failed[:5]}"
            )


def _ms(t0: float) -> int:
    return round((time.perf_counter() - t0) * 1000)


def _reject_batch(rejected: list[Rejected]) -> pa.RecordBatch:
    return pa.record_batch(
        [
            work.int32s(r.line_no for r in rejected),
            work.binaries([r.raw for r in rejected]),
            work.strings([r.reason.value for r in rejected]),
            work.strings([r.detail for r in rejected]),
            work.strings([r.event_id or "" for r in rejected]),
            work.int32_lists([r.missing_user_ids or () for r in rejected]),
        ],
        schema=REJECT_SCHEMA,
    )


def _for_each(
    stage: str, items: list[dict[str, Any]], work: Callable[[dict[str, Any]], dict[str, Any]]
) -> StageRun:
    """Run ``work`` on each live object; poison objects pass through; failures are noted."""
    run = StageRun()
    for item in items:
        if item["status"] != "ok":
            run.items.append(item)
            continue
        try:
            run.items.append(work(item))
        except Exception as exc:
            log.error("%s failed for %s (etag %s): %s", stage, item["key"], item["etag"], exc)
            run.failed.append(item["key"])
    return run


# --- read ---------------------------------------------------------------------------------


@batch_gc()
def read_objects(
    area: WorkArea, source_bucket: str, objects: list[ObjectRef], cfg: IngestSettings
) -> StageRun:
    """Snapshot each object's lines into ``read`` batches; detect poison objects."""
    run = StageRun()
    for obj in objects:
        oid = object_id(obj.key, obj.etag)
        try:
            done = area.get_result("read", oid)
            run.items.append(done if done is not None else _read_one(area, source_bucket, obj, cfg))
        except Exception as exc:
            log.error("read failed for %s (etag %s): %s", obj.key, obj.etag, exc)
            run.failed.append(obj.key)
    return run


def _read_one(
    area: WorkArea, source_bucket: str, obj: ObjectRef, cfg: IngestSettings
) -> dict[str, Any]:
    oid = object_id(obj.key, obj.etag)
    item: dict[str, Any] = {"key": obj.key, "etag": obj.etag, "size": obj.size, "oid": oid,
                            "status": "ok", "rows_read": 0}  # fmt: skip
    t0 = time.perf_counter()
    try:
        with (
            reader.open_object(area.client, source_bucket, obj.key) as stream,
            area.writer("read", oid, "lines", READ_SCHEMA) as out,
        ):
            for batch in reader.iter_batches(reader.iter_lines(stream), cfg.batch_size):
                item["rows_read"] += len(batch)
                out.write_batch(
                    pa.record_batch(
                        [work.int32s(n for n, _ in batch),
                         work.binaries([line for _, line in batch])],
                        schema=READ_SCHEMA,
                    )
                )  # fmt: skip
    except PoisonObjectError as poison:
        item.update(status="poison", reason=poison.reason.value, detail=poison.detail,
                    rows_read=0)  # fmt: skip
        log.error("poison object %s: %s (%s)", obj.key, poison.reason, poison.detail)
    item["read_ms"] = _ms(t0)
    area.put_result("read", oid, item)
    log.info("read %s: %d line(s) in %d ms", obj.key, item["rows_read"], item["read_ms"])
    return item


# --- validate -----------------------------------------------------------------------------


@batch_gc()
def validate_objects(area: WorkArea, items: list[dict[str, Any]], cfg: IngestSettings) -> StageRun:
    """Validate every line of every live object against the contracts.

    With a backlog (at least ``cfg.parallel_min_rows`` lines) the objects are spread over
    ``cfg.workers`` processes (validation is CPU-bound Python/Rust; threads would share one
    core through the GIL). A single minute file is validated in-process: starting workers
    would cost more than it saves.
    """
    now = datetime.now(UTC) + timedelta(seconds=cfg.future_skew_seconds)
    live = [i for i in items if i["status"] == "ok"]
    rows = sum(i["rows_read"] for i in live)
    if cfg.workers <= 1 or len(live) < 2 or rows < cfg.parallel_min_rows:
        return _for_each("validate", items, lambda i: _validate_one(area, i, now))
    spec = (area.bucket, area.prefix, area.run_id)
    results: dict[str, dict[str, Any]] = {}
    run = StageRun()
    ctx = get_context("spawn")  # never fork a process that holds connections and threads
    with ProcessPoolExecutor(cfg.workers, mp_context=ctx, initializer=_init_worker) as pool:
        futures = {i["key"]: pool.submit(_validate_in_worker, spec, i, now) for i in live}
        for key, fut in futures.items():
            try:
                results[key] = fut.result()
            except Exception as exc:
                log.error("validate failed for %s: %s", key, exc)
                run.failed.append(key)
    for item in items:
        if item["status"] != "ok":
            run.items.append(item)
        elif item["key"] in results:
            run.items.append(results[item["key"]])
    return run


_WORKER_CLIENT: Any = None


def _init_worker() -> None:
    # Referenced by name, so the worker imports this module (contracts, pyarrow) first and
    # the freeze covers them.
    tune_for_batches()


def _validate_in_worker(
    spec: tuple[str, str, str], item: dict[str, Any], now: datetime
) -> dict[str, Any]:
    global _WORKER_CLIENT
    if _WORKER_CLIENT is None:
        from generator.writer import minio_client
        from socialpulse.settings import get_settings

        _WORKER_CLIENT = minio_client(get_settings())
    bucket, prefix, run_id = spec
    return _validate_one(WorkArea(_WORKER_CLIENT, bucket, prefix, run_id), item, now)


def _validate_one(area: WorkArea, item: dict[str, Any], now: datetime) -> dict[str, Any]:
    oid = item["oid"]
    done = area.get_result("validate", oid)
    if done is not None:
        return done
    t0 = time.perf_counter()
    rejected_by_reason: dict[str, int] = {}
    with (
        area.reader("read", oid, "lines") as batches,
        area.writer("validate", oid, "valid", VALID_SCHEMA) as out,
        area.writer("validate", oid, "rejects", REJECT_SCHEMA) as bad,
    ):
        for rb in batches:
            pairs = list(zip(rb.column(0).to_pylist(), rb.column(1).to_pylist(), strict=True))
            accepted, rejected = validate_batch(pairs, now)
            out.write_batch(_valid_batch(accepted))
            if rejected:
                bad.write_batch(_reject_batch(rejected))
                for r in rejected:
                    rejected_by_reason[r.reason.value] = (
                        rejected_by_reason.get(r.reason.value, 0) + 1
                    )
    result = {**item, "validate_ms": _ms(t0), "rejected_by_reason": rejected_by_reason}
    area.put_result("validate", oid, result)
    log.info("validated %s: %d line(s), rejected %s in %d ms", item["key"], item["rows_read"],
             rejected_by_reason or 0, result["validate_ms"])  # fmt: skip
    return result


def _valid_batch(accepted: list[Accepted]) -> pa.RecordBatch:
    cols: list[list[Any]] = [[] for _ in range(8)]
    line_nos, lines, ids, refs, regs, digests, rows, occurred = cols
    for a in accepted:
        event, line = a.event, a.line
        digest = md5(line, usedforsecurity=False).hexdigest()
        line_nos.append(a.line_no)
        lines.append(line)
        ids.append(event.event_id.bytes)
        refs.append(clean.user_ids(event))
        digests.append(digest)
        rows.append(events_row(event, line, a.line_no, digest))
        if event.event_type == "user_registered":
            regs.append(event.payload.user_id)  # type: ignore[attr-defined]
            occurred.append(event.occurred_at.isoformat())
        else:
            regs.append(0)  # user ids start at 1
            occurred.append("")
    return pa.record_batch(
        [
            work.int32s(line_nos),
            work.binaries(lines),
            work.uuids(ids),
            work.int32_lists(refs),
            work.int32s(regs),
            work.strings(digests),
            work.binaries(rows),
            work.strings(occurred),
        ],
        schema=VALID_SCHEMA,
    )


# --- clean --------------------------------------------------------------------------------


@batch_gc()
def clean_objects(area: WorkArea, dsn: str, items: list[dict[str, Any]]) -> StageRun:
    """References and duplicates, object by object in key order (one run-wide directory)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        users = clean.UserDirectory(conn)

        def work(item: dict[str, Any]) -> dict[str, Any]:
            done = area.get_result("clean", item["oid"])
            if done is None:
                done = _clean_one(area, users, item)
            users.registered_here.update(done.pop("registers", []))
            done.pop("needs_users", None)  # big in a backfill: stays in MinIO, not XCom
            return done

        return _for_each("clean", items, work)


def _clean_one(area: WorkArea, users: clean.UserDirectory, item: dict[str, Any]) -> dict[str, Any]:
    oid = item["oid"]
    t0 = time.perf_counter()
    cleaner = clean.ObjectCleaner(users)
    by_reason = dict(item.get("rejected_by_reason", {}))
    with (
        area.reader("validate", oid, "valid") as batches,
        area.writer("clean", oid, "copy", COPY_SCHEMA) as out,
        area.writer("clean", oid, "rejects", REJECT_SCHEMA) as bad,
    ):
        for rb in batches:
            if rb.num_rows == 0:
                continue
            rows, rejected = cleaner.batch(*(c.to_pylist() for c in rb.columns))
            out.write_batch(_copy_batch(rows))
            if rejected:
                bad.write_batch(_reject_batch(rejected))
                for r in rejected:
                    by_reason[r.reason.value] = by_reason.get(r.reason.value, 0) + 1
    result = {
        **item,
        "clean_ms": _ms(t0),
        "rejected_by_reason": by_reason,
        "staged_first": cleaner.first,
        "staged_repeats": cleaner.repeats,
        "duplicates": cleaner.duplicates,
        "needs_users": sorted(cleaner.needs_users),
        "registers": sorted(cleaner.registered_now),
    }
    area.put_result("clean", oid, result)
    log.info("cleaned %s: staged %d (+%d repeats), duplicates %d, rejected %s in %d ms",
             item["key"], cleaner.first, cleaner.repeats, cleaner.duplicates, by_reason or 0,
             result["clean_ms"])  # fmt: skip
    return dict(result)


def _copy_batch(b: clean.CleanBatch) -> pa.RecordBatch:
    """One ``COPY_SCHEMA`` row (a list column holds the batch's values)."""
    one = (len(b.line_nos),)
    regs = (len(b.reg_users),)
    return pa.record_batch(
        [
            work.int32s([b.first_line]),
            work.int32s([b.last_line]),
            work.binaries([b.rows]),
            work.lists(work.int32s(b.line_nos), one),
            work.lists(work.uuids(b.event_ids), one),
            work.lists(work.strings(b.digests), one),
            work.lists(work.binaries(b.lines), one),
            work.binaries([b.repeats]),
            work.lists(work.int32s(b.reg_users), regs),
            work.lists(work.uuids(b.reg_event_ids), regs),
            work.lists(work.strings(b.reg_at), regs),
        ],
        schema=COPY_SCHEMA,
    )


def reclean_object(
    area: WorkArea, conn: psycopg.Connection, item: dict[str, Any]
) -> dict[str, Any]:
    """Clean one object again, trusting only committed users (its artefacts are replaced).

    Used by load when an earlier object of the run, whose registrations this object relied
    on, failed to load.
    """
    base = area.get_result("validate", item["oid"])
    if base is None:
        raise RuntimeError(f"{item['key']}: no validate result to clean again")
    result = _clean_one(area, clean.UserDirectory(conn), base)
    result.pop("registers", None)
    result.pop("needs_users", None)
    return result


def iter_rejects(area: WorkArea, oid: str) -> Iterator[tuple[Any, ...]]:
    """Rejected lines of an object from validate and clean, as quarantine tuples."""
    for stage in ("validate", "clean"):
        with area.reader(stage, oid, "rejects") as batches:
            for rb in batches:
                for line_no, raw, reason, detail, event_id, missing in zip(
                    *(c.to_pylist() for c in rb.columns), strict=True
                ):
                    yield line_no, raw, reason, detail, event_id or None, missing or None
