"""The four stages of the ``ingest_events`` DAG: read -> validate -> clean -> load.

Each stage is a separate Airflow task. Event data travels between them as run-scoped
artefacts in MinIO (:mod:`socialpulse.ingestion.work`), streamed batch by batch; only one
small dict per object (key, ETag, counts, timings) travels through XCom.

* **read** snapshots each object version: MinIO body -> gzip -> lines -> ``read`` batches
  (``line_no``, ``line``). A poison object (not gzip, not UTF-8, empty, vanished) is marked
  ``poison`` and skipped by validate and clean; load quarantines it.
* **validate** runs the shared Pydantic contracts over every line (after the bounds on its
  size, depth and keys): ``valid`` batches (line, event_id, user ids, registered user) +
  ``rejects``.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import md5
from typing import Any

import psycopg
import pyarrow as pa

from socialpulse.ingestion import clean, faults, reader, work
from socialpulse.ingestion.batch_gc import batch_gc
from socialpulse.ingestion.config import IngestSettings
from socialpulse.ingestion.limits import LineLimits
from socialpulse.ingestion.reader import ObjectRef, PoisonObjectError
from socialpulse.ingestion.reasons import TAIL_REASONS, Reason
from socialpulse.ingestion.validate import (
    Accepted,
    Rejected,
    events_row,
    unprocessable,
    validate_batch,
)
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


def _poisoned(
    area: WorkArea, stage: str, item: dict[str, Any], exc: BaseException
) -> dict[str, Any]:
    """An object the stage could not process (not a service's fault): it goes on as a poison
    object, so load quarantines it and the run goes on; the result is kept for retries."""
    detail = faults.describe(stage, exc)
    log.error("%s could not process %s (etag %s), it will be quarantined: %s",
              stage, item["key"], item["etag"], detail)  # fmt: skip
    out = {**item, "status": "poison", "reason": Reason.UNPROCESSABLE_OBJECT.value,
           "detail": detail, "rows_read": 0}  # fmt: skip
    area.put_result(stage, item["oid"], out)
    return out


def _for_each(
    area: WorkArea,
    stage: str,
    items: list[dict[str, Any]],
    work: Callable[[dict[str, Any]], dict[str, Any]],
) -> StageRun:
    """Run ``work`` on each live object; poison objects pass through. A service failure
    leaves the object pending (the task fails after the others, and is retried); any other
    failure makes the object poison (quarantined by load)."""
    run = StageRun()
    for item in items:
        if item["status"] != "ok":
            run.items.append(item)
            continue
        try:
            try:
                run.items.append(work(item))
            except Exception as exc:
                if faults.is_service_failure(exc):
                    raise
                run.items.append(_poisoned(area, stage, item, exc))
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
    items = [
        {"key": o.key, "etag": o.etag, "size": o.size, "oid": object_id(o.key, o.etag),
         "status": "ok", "rows_read": 0}
        for o in objects
    ]  # fmt: skip

    def read_one(item: dict[str, Any]) -> dict[str, Any]:
        done = area.get_result("read", item["oid"])
        return done if done is not None else _read_one(area, source_bucket, item, cfg)

    return _for_each(area, "read", items, read_one)


def _declared_empty(stream: Any) -> bool:
    """The producer says the object holds no records (the generator's quiet minute)."""
    headers = getattr(stream, "headers", None) or {}
    return str(headers.get("x-amz-meta-record-count", "")).strip() == "0"


def _read_one(
    area: WorkArea, source_bucket: str, item: dict[str, Any], cfg: IngestSettings
) -> dict[str, Any]:
    oid = item["oid"]
    item = dict(item)
    refused_by_reason: dict[str, int] = {}
    t0 = time.perf_counter()
    try:
        with (
            reader.open_object(area.client, source_bucket, item["key"]) as stream,
            area.writer("read", oid, "lines", READ_SCHEMA) as out,
            area.writer("read", oid, "rejects", REJECT_SCHEMA) as bad,
        ):
            lines = reader.iter_records(stream, cfg.read_limits())
            for batch, refused in reader.iter_batches(lines, cfg.batch_size):
                item["rows_read"] += len(batch) + len(refused)
                if batch:
                    out.write_batch(
                        pa.record_batch(
                            [work.int32s(n for n, _ in batch),
                             work.binaries([line for _, line in batch])],
                            schema=READ_SCHEMA,
                        )
                    )  # fmt: skip
                if refused:
                    bad.write_batch(_reject_batch([_from_reader(r) for r in refused]))
                    for r in refused:
                        refused_by_reason[r.reason.value] = (
                            refused_by_reason.get(r.reason.value, 0) + 1
                        )
                        if r.reason in TAIL_REASONS:
                            item["tail_reason"], item["tail_detail"] = r.reason.value, r.detail
            if item["rows_read"] == 0:
                if not _declared_empty(stream):
                    raise PoisonObjectError(Reason.EMPTY_FILE, "the object has no lines")
                log.info("%s: empty, as its producer declared (record-count 0)", item["key"])
    except PoisonObjectError as poison:
        item.update(status="poison", reason=poison.reason.value, detail=poison.detail,
                    rows_read=0)  # fmt: skip
        refused_by_reason = {}
        log.error("poison object %s: %s (%s)", item["key"], poison.reason, poison.detail)
    item["read_ms"] = _ms(t0)
    item["rejected_by_reason"] = refused_by_reason
    area.put_result("read", oid, item)
    log.info("read %s: %d line(s) in %d ms%s", item["key"], item["rows_read"], item["read_ms"],
             f", refused {refused_by_reason}" if refused_by_reason else "")  # fmt: skip
    return item


def _from_reader(r: reader.LineReject) -> Rejected:
    return Rejected(r.line_no, r.raw, r.reason, r.detail)


# --- validate -----------------------------------------------------------------------------


@batch_gc()
def validate_objects(area: WorkArea, items: list[dict[str, Any]], cfg: IngestSettings) -> StageRun:
    """Validate every line of every live object against the contracts, in this process.

    No worker processes: on 2 cores a worker's start-up (~3 s of CPU: interpreter, contracts,
    pyarrow) costs more than it saves until a run holds well over 100,000 lines, and the
    second core is busy with the rest of the pipeline anyway (see docs/ingestion.md).
    """
    now = datetime.now(UTC) + timedelta(seconds=cfg.future_skew_seconds)
    limits = cfg.line_limits()
    return _for_each(area, "validate", items, lambda i: validate_one(area, i, now, limits))


def validate_one(
    area: WorkArea, item: dict[str, Any], now: datetime, limits: LineLimits
) -> dict[str, Any]:
    """Validate one object's ``read`` batches into ``valid`` + ``rejects`` (reuses a result)."""
    oid = item["oid"]
    done = area.get_result("validate", oid)
    if done is not None:
        return done
    t0 = time.perf_counter()
    rejected_by_reason = dict(item.get("rejected_by_reason", {}))  # the read stage's
    with (
        area.reader("read", oid, "lines") as batches,
        area.writer("validate", oid, "valid", VALID_SCHEMA) as out,
        area.writer("validate", oid, "rejects", REJECT_SCHEMA) as bad,
    ):
        for rb in batches:
            pairs = list(zip(rb.column(0).to_pylist(), rb.column(1).to_pylist(), strict=True))
            accepted, rejected = validate_batch(pairs, now, limits)
            valid, unprocessable = _valid_batch(accepted)
            out.write_batch(valid)
            rejected += unprocessable
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


def _valid_batch(accepted: list[Accepted]) -> tuple[pa.RecordBatch, list[Rejected]]:
    """The ``VALID_SCHEMA`` batch of the accepted lines, and the lines whose derived values
    (COPY row, digest, user ids) could not be built (rejected alone)."""
    cols: list[list[Any]] = [[] for _ in range(8)]
    line_nos, lines, ids, refs, regs, digests, rows, occurred = cols
    failed: list[Rejected] = []
    for a in accepted:
        event, line = a.event, a.line
        try:
            digest = md5(line, usedforsecurity=False).hexdigest()
            row = events_row(event, line, a.line_no, digest)
            users = clean.user_ids(event)
            registers, at = 0, ""  # user ids start at 1
            if event.event_type == "user_registered":
                registers = event.payload.user_id  # type: ignore[attr-defined]
                at = event.occurred_at.isoformat()
        except Exception as exc:
            failed.append(unprocessable(a.line_no, line, exc))
            continue
        line_nos.append(a.line_no)
        lines.append(line)
        ids.append(event.event_id.bytes)
        refs.append(users)
        digests.append(digest)
        rows.append(row)
        regs.append(registers)
        occurred.append(at)
    batch = pa.record_batch(
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
    return batch, failed


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

        return _for_each(area, "clean", items, work)


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
    """Rejected lines of an object from read, validate and clean, as quarantine tuples."""
    for stage in ("read", "validate", "clean"):
        with area.reader(stage, oid, "rejects") as batches:
            for rb in batches:
                for line_no, raw, reason, detail, event_id, missing in zip(
                    *(c.to_pylist() for c in rb.columns), strict=True
                ):
                    yield line_no, raw, reason, detail, event_id or None, missing or None
