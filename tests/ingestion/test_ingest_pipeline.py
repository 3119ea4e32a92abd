"""The ingestion pipeline against real PostgreSQL and MinIO, on generator worlds."""

from __future__ import annotations

import gzip
import io
import json
import signal
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from ingest_world import World

from generator.dirty import DefectClass
from socialpulse.ingestion.discover import list_objects
from socialpulse.ingestion.manifest import summary
from socialpulse.ingestion.pipeline import FileResult, IngestError, process_objects
from socialpulse.ingestion.quarantine import readmit
from socialpulse.ingestion.reader import ObjectRef
from socialpulse.ingestion.reasons import Reason

pytestmark = pytest.mark.stack


def _raw_state(dsn: str, world: World) -> dict[str, Any]:
    """Everything a re-run must leave unchanged."""
    like = world.root + "%"
    with psycopg.connect(dsn) as conn:
        q = lambda sql: conn.execute(sql, (like,)).fetchall()  # noqa: E731
        return {
            "events": q(
                "SELECT count(*), count(DISTINCT event_id) FROM raw.events WHERE source_object LIKE %s"
            ),
            "manifest": q(
                "SELECT object_key, etag, status, rows_read, rows_loaded, rows_rejected, rows_duplicate "
                "FROM raw.ingest_manifest WHERE object_key LIKE %s ORDER BY object_key"
            ),
            "quarantine": q("SELECT count(*) FROM raw.quarantine WHERE object_key LIKE %s"),
        }


def test_clean_world_loads_every_event_once(
    make_world: Callable[..., World], ingest: Callable[..., list[FileResult]], clean_raw: str
) -> None:
    world = make_world("clean", minutes=15)
    results = ingest(world)
    assert {r.outcome for r in results} == {"loaded"}
    assert len(results) == world.stats.objects
    totals = summary(psycopg.connect(clean_raw), world.root)
    assert totals["rows_loaded"] == world.stats.events
    assert totals["rows_rejected"] == totals["rows_duplicate"] == 0
    assert _raw_state(clean_raw, world)["events"] == [(world.stats.events, world.stats.events)]


#: What each generator defect must become. Line defects not listed here are not rejects:
#: exact duplicate lines count as duplicates, late-file lines load normally.
EXPECTED_REASON = {
    DefectClass.MALFORMED_JSON: Reason.MALFORMED_JSON,
    DefectClass.WRONG_TYPE: Reason.SCHEMA_VIOLATION,
    DefectClass.OUT_OF_RANGE: Reason.OUT_OF_RANGE,
    DefectClass.FUTURE_TIMESTAMP: Reason.FUTURE_TIMESTAMP,
    DefectClass.UNKNOWN_ENUM: Reason.UNKNOWN_ENUM,
    DefectClass.UNKNOWN_REFERENCE: Reason.UNKNOWN_USER_REFERENCE,
    DefectClass.CONFLICTING_DUPLICATE: Reason.DUPLICATE_EVENT_ID_CONFLICT,
    DefectClass.EMPTY_FILE: Reason.EMPTY_FILE,
    DefectClass.NOT_UTF8: Reason.NOT_UTF8,
}


def test_dirty_world_quarantines_every_defect_and_loads_every_valid_event(
    make_world: Callable[..., World], ingest: Callable[..., list[FileResult]], clean_raw: str
) -> None:
    world = make_world("dirty", minutes=30, users=200, dirty=0.03)
    ingest(world)
    with psycopg.connect(clean_raw) as conn:
        quarantined = {
            (key, line): reason
            for key, line, reason in conn.execute(
                "SELECT object_key, line_no, reason FROM raw.quarantine "
                "WHERE resolved_at IS NULL AND object_key LIKE %s",
                (world.root + "%",),
            ).fetchall()
        }
        loaded = dict(
            conn.execute(
                "SELECT event_id::text, event_type FROM raw.events WHERE source_object LIKE %s",
                (world.root + "%",),
            ).fetchall()
        )
        totals = summary(conn, world.root)
        per_file = conn.execute(
            "SELECT rows_read, rows_loaded, rows_rejected, rows_duplicate "
            "FROM raw.ingest_manifest WHERE object_key LIKE %s",
            (world.root + "%",),
        ).fetchall()
    seen = Counter(d["defect"] for d in world.defects)
    assert set(seen) >= {c.value for c in EXPECTED_REASON} - {"empty_file", "not_utf8"}
    # A user_registered with an unknown id is a new registration, not a reference.
    registrations = 0
    for d in world.defects:
        defect = DefectClass(d["defect"])
        if defect is DefectClass.NOT_UTF8 and d["line"] is not None:
            continue  # the object is quarantined as a whole (its line None row)
        if (
            defect is DefectClass.UNKNOWN_REFERENCE
            and loaded.get(d["event_id"]) == "user_registered"
        ):
            registrations += 1
            continue
        if defect in EXPECTED_REASON:
            got = quarantined.get((d["object_key"], d["line"]))
            # The generator's "unknown value" can land in a pattern-checked string field
            # (e.g. an e-mail): that is an invalid format, as documented.
            if defect is DefectClass.UNKNOWN_ENUM and got == Reason.INVALID_FORMAT:
                continue
            assert got == EXPECTED_REASON[defect], d
        else:  # late lines and exact duplicates: the event is loaded
            assert d["event_id"] in loaded, d
    # Every valid event is loaded once; counts reconcile per file and in total.
    assert len(loaded) == world.stats.events + registrations
    assert totals["rows_loaded"] == len(loaded)
    assert all(r == lo + rej + dup for r, lo, rej, dup in per_file)
    line_rejects = sum(1 for (_, line) in quarantined if line is not None)
    assert totals["rows_rejected"] == line_rejects
    assert (
        totals["rows_read"]
        == totals["rows_loaded"] + totals["rows_rejected"] + totals["rows_duplicate"]
    )
    dups = seen[DefectClass.DUPLICATE_LINE]
    assert totals["rows_duplicate"] >= dups


def test_running_twice_or_replaying_history_changes_nothing(
    make_world: Callable[..., World],
    ingest: Callable[..., list[FileResult]],
    clean_raw: str,
    minio: Any,
) -> None:
    world = make_world("dirty", minutes=30, users=200, dirty=0.03)
    ingest(world)
    before = _raw_state(clean_raw, world)
    assert ingest(world) == []  # nothing new to discover
    assert _raw_state(clean_raw, world) == before
    # Replaying every object as if re-uploaded (new ETags) loads no event twice.
    listed = list_objects(minio, world.bucket, world.prefix)
    replay = [ObjectRef(o.key, o.etag + "-replay", o.size) for o in listed]
    results = process_objects(clean_raw, minio, world.bucket, replay, world.cfg())
    assert sum(r.counts.rows_loaded for r in results) == 0
    assert _raw_state(clean_raw, world)["events"] == before["events"]


def test_reuploaded_object_loads_only_its_new_events(
    make_world: Callable[..., World],
    ingest: Callable[..., list[FileResult]],
    clean_raw: str,
    minio: Any,
) -> None:
    world = make_world("reupload", minutes=6)
    ingest(world)
    key = list_objects(minio, world.bucket, world.prefix)[-1].key
    resp = minio.get_object(world.bucket, key)
    lines = gzip.decompress(resp.read()).splitlines()
    resp.close()
    resp.release_conn()
    extra = json.loads(lines[-1])
    extra["event_id"] = str(uuid.uuid4())
    body = gzip.compress(b"\n".join([*lines, json.dumps(extra).encode()]) + b"\n")
    minio.put_object(world.bucket, key, io.BytesIO(body), len(body))
    (result,) = ingest(world)
    assert (result.key, result.outcome) == (key, "loaded")
    assert (result.counts.rows_loaded, result.counts.rows_duplicate) == (1, len(lines))
    with psycopg.connect(clean_raw) as conn:
        versions = conn.execute(
            "SELECT version FROM raw.ingest_manifest WHERE object_key = %s ORDER BY version", (key,)
        ).fetchall()
    assert versions == [(1,), (2,)]


def test_poison_objects_are_quarantined_and_do_not_block_later_files(
    make_world: Callable[..., World],
    ingest: Callable[..., list[FileResult]],
    clean_raw: str,
    minio: Any,
) -> None:
    world = make_world("poison", minutes=4)
    poison = {
        "events/2000/01/01/00/a-plain-text.jsonl.gz": b"hello, not gzip\n",
        "events/2000/01/01/00/b-random.jsonl.gz": bytes(range(256)) * 4,
    }
    for name, body in poison.items():
        minio.put_object(world.bucket, world.root + name, io.BytesIO(body), len(body))
    results = {r.key.removeprefix(world.root): r for r in ingest(world)}
    assert {results[k].reason for k in poison} == {Reason.NOT_GZIP.value}
    assert {results[k].outcome for k in poison} == {"quarantined"}
    loaded = [r for r in results.values() if r.outcome == "loaded"]
    assert len(loaded) == world.stats.objects
    assert sum(r.counts.rows_loaded for r in loaded) == world.stats.events


def test_a_crash_midway_through_a_file_leaves_nothing_and_a_rerun_completes(
    make_world: Callable[..., World],
    ingest: Callable[..., list[FileResult]],
    clean_raw: str,
    minio: Any,
) -> None:
    world = make_world("crash", minutes=8)
    victim = list_objects(minio, world.bucket, world.prefix)[3].key

    def crash(key: str, batch: int) -> None:
        if key == victim and batch == 2:
            # A service failure (the task is retried), not the data's (quarantined).
            raise psycopg.OperationalError("injected: connection lost after the second COPY")

    cfg = world.cfg(batch_size=20)
    with pytest.raises(IngestError):
        process_objects(
            clean_raw, minio, world.bucket, list_objects(minio, world.bucket, world.prefix),
            cfg, on_batch=crash,
        )  # fmt: skip
    with psycopg.connect(clean_raw) as conn:
        partial = conn.execute(
            "SELECT (SELECT count(*) FROM raw.events WHERE source_object = %(k)s),"
            " (SELECT count(*) FROM raw.ingest_manifest WHERE object_key = %(k)s),"
            " (SELECT count(*) FROM raw.quarantine WHERE object_key = %(k)s)",
            {"k": victim},
        ).fetchone()
    assert partial == (0, 0, 0)
    (rerun,) = ingest(world)
    assert rerun.key == victim
    totals = summary(psycopg.connect(clean_raw), world.root)
    assert totals["rows_loaded"] == world.stats.events


def test_a_loader_killed_with_sigkill_midway_leaves_nothing(
    make_world: Callable[..., World],
    ingest: Callable[..., list[FileResult]],
    clean_raw: str,
    minio: Any,
) -> None:
    world = make_world("sigkill", minutes=4)
    code = textwrap.dedent(
        f"""
        import sys, time
        from generator.writer import minio_client
        from socialpulse.settings import get_settings
        from socialpulse.ingestion.config import IngestSettings
        from socialpulse.ingestion.discover import list_objects
        from socialpulse.ingestion.pipeline import process_objects
        s = get_settings()
        client = minio_client(s)
        objs = list_objects(client, {world.bucket!r}, {world.prefix!r})
        def hang(key, batch):
            if batch == 2:
                print("STAGED", key, flush=True)
                time.sleep(600)
        cfg = IngestSettings(bucket={world.bucket!r}, prefix={world.prefix!r}, batch_size=10)
        process_objects(s.warehouse_dsn, client, {world.bucket!r}, objs, cfg, on_batch=hang)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("STAGED"), line
        victim = line.split()[1]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    results = ingest(world)  # waits on the advisory lock until PostgreSQL drops the session
    assert victim in {r.key for r in results}
    totals = summary(psycopg.connect(clean_raw), world.root)
    assert totals["rows_loaded"] == world.stats.events
    assert totals["files"] == world.stats.objects


def test_two_concurrent_loaders_never_double_load(
    make_world: Callable[..., World], clean_raw: str, minio: Any
) -> None:
    world = make_world("concurrent", minutes=10)
    objs = list_objects(minio, world.bucket, world.prefix)
    cfg = world.cfg(batch_size=50)
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(process_objects, clean_raw, minio, world.bucket, order, cfg)
            for order in (objs, list(reversed(objs)))
        ]
        results = [r for run in runs for r in run.result()]
    # The reversed loader meets events before their users' registrations: re-admission
    # (the DAG's reconcile step) loads them once the registrations are in.
    with psycopg.connect(clean_raw, autocommit=True) as conn:
        readmit(conn)
    assert Counter(r.outcome for r in results) == {"loaded": len(objs), "skipped": len(objs)}
    totals = summary(psycopg.connect(clean_raw), world.root)
    assert totals["files"] == len(objs)
    assert totals["rows_loaded"] == world.stats.events
    assert _raw_state(clean_raw, world)["events"] == [(world.stats.events, world.stats.events)]


@pytest.mark.parametrize("bad_text", ["nul \x00 inside", "lone surrogate \ud800"])
def test_text_postgres_cannot_store_is_quarantined_and_the_file_still_loads(
    make_world: Callable[..., World],
    ingest: Callable[..., list[FileResult]],
    clean_raw: str,
    minio: Any,
    bad_text: str,
) -> None:
    world = make_world(f"unstorable-{uuid.uuid4().hex[:6]}", minutes=3)
    key = list_objects(minio, world.bucket, world.prefix)[-1].key
    resp = minio.get_object(world.bucket, key)
    lines = gzip.decompress(resp.read()).splitlines()
    resp.close()
    resp.release_conn()
    poisoned = next(
        doc
        for doc in map(json.loads, lines)
        if any(isinstance(v, str) for v in doc["payload"].values())
    )
    field = next(k for k, v in poisoned["payload"].items() if isinstance(v, str))
    poisoned = {**poisoned, "event_id": str(uuid.uuid4())}
    poisoned["payload"] = {**poisoned["payload"], field: bad_text}
    body = gzip.compress(b"\n".join([*lines, json.dumps(poisoned).encode()]) + b"\n")
    minio.put_object(world.bucket, key, io.BytesIO(body), len(body))

    results = {r.key: r for r in ingest(world)}

    assert results[key].outcome == "loaded"
    assert results[key].counts.rows_loaded == len(lines)
    assert results[key].counts.rows_rejected == 1
    with psycopg.connect(clean_raw) as conn:
        reasons = conn.execute(
            "SELECT reason, event_id::text FROM raw.quarantine WHERE object_key = %s", (key,)
        ).fetchall()
    assert reasons == [(Reason.INVALID_VALUE.value, poisoned["event_id"])]
