"""The stage split: read -> validate -> clean -> load as separate steps on real MinIO/PostgreSQL.

Each stage is called alone, the way the DAG's tasks call them: event data moves through
run-scoped artefacts in MinIO, only small dicts are returned.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from ingest_world import World

from infra.stack.airflow import airflow_env
from socialpulse.ingestion import stages, work
from socialpulse.ingestion.discover import list_objects
from socialpulse.ingestion.pipeline import IngestError, load_objects, process_objects
from socialpulse.ingestion.reader import SourceError, iter_lines, open_object
from socialpulse.ingestion.reasons import Reason
from socialpulse.ingestion.work import WorkArea
from socialpulse.settings import Settings

pytestmark = pytest.mark.stack


def _area(minio: Any, world: World) -> WorkArea:
    return WorkArea(minio, world.bucket, world.root + "_work/", f"test-{uuid.uuid4().hex[:8]}")


def _keys(minio: Any, bucket: str, prefix: str) -> list[str]:
    return sorted(o.object_name for o in minio.list_objects(bucket, prefix=prefix, recursive=True))


def _lines(minio: Any, bucket: str, key: str) -> list[bytes]:
    with open_object(minio, bucket, key) as stream:
        return list(iter_lines(stream))


def test_each_stage_writes_artefacts_and_only_load_touches_raw(
    make_world: Callable[..., World], clean_raw: str, minio: Any
) -> None:
    world = make_world("stages", minutes=5)
    objs = list_objects(minio, world.bucket, world.prefix)
    area = _area(minio, world)
    cfg = world.cfg(batch_size=100)

    read = stages.read_objects(area, world.bucket, objs, cfg)
    valid = stages.validate_objects(area, read.items, cfg)
    cleaned = stages.clean_objects(area, clean_raw, valid.items)
    assert read.failed == valid.failed == cleaned.failed == []
    assert sum(i["rows_read"] for i in read.items) == world.stats.events
    with psycopg.connect(clean_raw) as conn:  # nothing written to raw before load
        assert conn.execute(
            "SELECT count(*) FROM raw.events WHERE source_object LIKE %s", (world.root + "%",)
        ).fetchone() == (0,)
    for item in cleaned.items:
        for part in ("read/{}.lines.arrow", "validate/{}.valid.arrow", "clean/{}.copy.arrow"):
            assert area.root + part.format(item["oid"]) in _keys(minio, world.bucket, area.root)
        # XCom carries counts and keys, not event data.
        assert len(json.dumps(item)) < 2000
        assert item["staged_first"] == item["rows_read"]

    results, failed = load_objects(clean_raw, area, cleaned.items, "test-run")
    assert failed == []
    assert {r.outcome for r in results} == {"loaded"}
    assert sum(r.counts.rows_loaded for r in results) == world.stats.events
    assert area.remove() > 0
    assert _keys(minio, world.bucket, area.root) == []


def test_validate_quarantines_bad_lines_and_load_still_loads_the_rest(
    make_world: Callable[..., World], clean_raw: str, minio: Any
) -> None:
    world = make_world(f"stage-rejects-{uuid.uuid4().hex[:6]}", minutes=3)
    key = list_objects(minio, world.bucket, world.prefix)[-1].key
    good = _lines(minio, world.bucket, key)
    wrong_type = json.loads(good[-1])
    wrong_type["event_id"], wrong_type["actor_id"] = str(uuid.uuid4()), "seven"
    bad = [b"{not json", json.dumps(wrong_type).encode()]
    body = gzip.compress(b"\n".join([*good, *bad]) + b"\n")
    minio.put_object(world.bucket, key, io.BytesIO(body), len(body))
    objs = list_objects(minio, world.bucket, world.prefix)
    area = _area(minio, world)
    cfg = world.cfg()

    read = stages.read_objects(area, world.bucket, objs, cfg)
    validated = stages.validate_objects(area, read.items, cfg).items
    assert [i["rejected_by_reason"] for i in validated if i["key"] == key] == [
        {Reason.MALFORMED_JSON.value: 1, Reason.SCHEMA_VIOLATION.value: 1}
    ]
    cleaned = stages.clean_objects(area, clean_raw, validated)
    results, failed = load_objects(clean_raw, area, cleaned.items, "test-run")
    assert failed == []
    assert {r.outcome for r in results} == {"loaded"}
    (counts,) = [r.counts for r in results if r.key == key]
    assert (counts.rows_read, counts.rows_loaded) == (len(good) + 2, len(good))
    assert (counts.rows_rejected, counts.rows_duplicate) == (2, 0)
    with psycopg.connect(clean_raw) as conn:
        reasons = dict(
            conn.execute(
                "SELECT line_no, reason FROM raw.quarantine WHERE object_key = %s AND line_no > %s",
                (key, len(good)),
            ).fetchall()
        )
    assert reasons == {
        len(good) + 1: Reason.MALFORMED_JSON.value,
        len(good) + 2: Reason.SCHEMA_VIOLATION.value,
    }
    area.remove()


def test_a_rerun_stage_reuses_its_results_and_a_rerun_load_loads_nothing(
    make_world: Callable[..., World], clean_raw: str, minio: Any
) -> None:
    world = make_world("stage-rerun", minutes=3)
    objs = list_objects(minio, world.bucket, world.prefix)
    area = _area(minio, world)
    cfg = world.cfg()
    read = stages.read_objects(area, world.bucket, objs, cfg)
    valid = stages.validate_objects(area, read.items, cfg)
    # The re-run finds each object's result in the work area: it does not read the source
    # again (here the source is gone, so reading it again would fail).
    from minio.deleteobjects import DeleteObject

    saved = {o.key: _lines(minio, world.bucket, o.key) for o in objs}
    list(minio.remove_objects(world.bucket, [DeleteObject(o.key) for o in objs]))
    try:
        again = stages.read_objects(area, world.bucket, objs, cfg)
        assert again.failed == []
        assert again.items == read.items
    finally:
        for key, lines in saved.items():
            body = gzip.compress(b"\n".join(lines) + b"\n")
            minio.put_object(world.bucket, key, io.BytesIO(body), len(body))
    assert stages.validate_objects(area, read.items, cfg).items == valid.items
    cleaned = stages.clean_objects(area, clean_raw, valid.items)
    first, _ = load_objects(clean_raw, area, cleaned.items, "test-run")
    second, failed = load_objects(clean_raw, area, cleaned.items, "test-run")
    assert failed == []
    assert {r.outcome for r in first} == {"loaded"}
    assert {r.outcome for r in second} == {"skipped"}
    with psycopg.connect(clean_raw) as conn:
        assert conn.execute(
            "SELECT count(*) FROM raw.events WHERE source_object LIKE %s", (world.root + "%",)
        ).fetchone() == (world.stats.events,)
    area.remove()


def test_stale_artefact_folders_are_swept_and_live_ones_kept(
    make_world: Callable[..., World], minio: Any
) -> None:
    world = make_world("stage-sweep", minutes=2)
    prefix = world.root + f"_sweep-{uuid.uuid4().hex[:6]}/"
    live = WorkArea(minio, world.bucket, prefix, "live-run")
    live.put_result("read", "x", {"status": "ok"})
    assert work.remove_stale(minio, world.bucket, prefix, timedelta(hours=1)) == 0
    assert _keys(minio, world.bucket, live.root) != []
    assert work.remove_stale(minio, world.bucket, prefix, timedelta(0)) == 1
    assert _keys(minio, world.bucket, prefix) == []


_DUMP_DAG = """
import json
from airflow.dag_processing.dagbag import DagBag
from airflow.providers.standard.operators.python import ShortCircuitOperator
bag = DagBag(dag_folder="airflow/dags/ingest_events.py")
dag = bag.get_dag("ingest_events")
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "tasks": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} if dag else {},
    "short_circuit": [t.task_id for t in dag.tasks if isinstance(t, ShortCircuitOperator)] if dag else [],
    "outlets": {t.task_id: [a.name for a in t.outlets] for t in dag.tasks if t.outlets} if dag else {},
}))
"""


@pytest.mark.slow
def test_the_dag_shows_each_stage_as_a_task_and_publishes_from_one(
    settings: Settings, started_service: Callable[[str], Any]
) -> None:
    started_service("airflow")  # DagBag reads the metadata DB
    proc = subprocess.run(
        [sys.executable, "-c", _DUMP_DAG],
        env={**os.environ, **airflow_env(settings)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    dag = json.loads(proc.stdout.strip().splitlines()[-1])
    assert dag["errors"] == {}
    assert dag["tasks"] == {
        "discover": [],
        "read": ["discover"],
        "validate": ["read"],
        "clean": ["validate"],
        "load": ["clean"],
        "publish": ["load"],
    }
    assert dag["short_circuit"] == ["discover"]  # an idle minute stops there
    assert dag["outlets"] == {"publish": ["socialpulse_raw_events"]}


def test_an_event_in_two_objects_of_one_run_is_loaded_once(
    make_world: Callable[..., World], clean_raw: str, minio: Any
) -> None:
    # Clean sees neither copy loaded yet; the second object's COPY then meets the first
    # object's event and that batch falls back to INSERT ... ON CONFLICT + classification.
    world = make_world(f"stage-cross-{uuid.uuid4().hex[:6]}", minutes=3)
    objs = list_objects(minio, world.bucket, world.prefix)
    first, last = objs[0].key, objs[-1].key
    shared = _lines(minio, world.bucket, first)[0]
    lines = _lines(minio, world.bucket, last)
    conflicting = json.loads(shared)
    conflicting["event_id"] = json.loads(_lines(minio, world.bucket, first)[1])["event_id"]
    body = gzip.compress(b"\n".join([*lines, shared, json.dumps(conflicting).encode()]) + b"\n")
    minio.put_object(world.bucket, last, io.BytesIO(body), len(body))
    objs = list_objects(minio, world.bucket, world.prefix)
    area = _area(minio, world)
    cfg = world.cfg()
    read = stages.read_objects(area, world.bucket, objs, cfg)
    cleaned = stages.clean_objects(
        area, clean_raw, stages.validate_objects(area, read.items, cfg).items
    )
    results, failed = load_objects(clean_raw, area, cleaned.items, "test-run")
    assert failed == []
    (counts,) = [r.counts for r in results if r.key == last]
    assert (counts.rows_loaded, counts.rows_duplicate, counts.rows_rejected) == (len(lines), 1, 1)
    assert counts.rejected_by_reason == {Reason.DUPLICATE_EVENT_ID_CONFLICT.value: 1}
    with psycopg.connect(clean_raw) as conn:
        events = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM raw.events WHERE source_object LIKE %s",
            (world.root + "%",),
        ).fetchone()
    assert events == (world.stats.events, world.stats.events)
    area.remove()


@pytest.mark.parametrize("stage", ["read", "validate", "clean", "load"])
def test_an_object_a_stage_cannot_process_is_quarantined_and_the_rest_load(
    make_world: Callable[..., World],
    clean_raw: str,
    minio: Any,
    monkeypatch: pytest.MonkeyPatch,
    stage: str,
) -> None:
    world = make_world("stage-unprocessable", minutes=4)
    objs = list_objects(minio, world.bucket, world.prefix)
    victim = objs[-1].key  # the last minute: no later object needs its registrations
    _fail_for(monkeypatch, stage, victim, ValueError(f"injected {stage} bug"))

    results = process_objects(clean_raw, minio, world.bucket, objs, world.cfg())

    outcome = {r.key: (r.outcome, r.reason) for r in results}
    assert outcome.pop(victim) == ("quarantined", Reason.UNPROCESSABLE_OBJECT.value)
    assert set(outcome.values()) == {("loaded", None)}
    with psycopg.connect(clean_raw) as conn:
        row = conn.execute(
            "SELECT q.error_detail, (SELECT count(*) FROM raw.events WHERE source_object = %s) "
            "FROM raw.quarantine q WHERE q.object_key = %s",
            (victim, victim),
        ).fetchone()
    assert row == (f"{stage}: ValueError: injected {stage} bug", 0)


def test_a_service_failure_leaves_the_object_pending_for_the_retry(
    make_world: Callable[..., World],
    clean_raw: str,
    minio: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_world(f"stage-service-{uuid.uuid4().hex[:6]}", minutes=3)
    objs = list_objects(minio, world.bucket, world.prefix)
    victim = objs[-1].key
    _fail_for(monkeypatch, "validate", victim, SourceError("injected: MinIO unreachable"))
    with pytest.raises(IngestError):
        process_objects(clean_raw, minio, world.bucket, objs, world.cfg())
    monkeypatch.undo()
    with psycopg.connect(clean_raw) as conn:
        assert conn.execute(
            "SELECT count(*) FROM raw.ingest_manifest WHERE object_key = %s", (victim,)
        ).fetchone() == (0,)
    (retry,) = process_objects(clean_raw, minio, world.bucket, [objs[-1]], world.cfg())
    assert (retry.key, retry.outcome) == (victim, "loaded")


def _fail_for(monkeypatch: pytest.MonkeyPatch, stage: str, key: str, error: Exception) -> None:
    """Make one stage raise ``error`` for the object ``key`` only (our code, not a service)."""
    from socialpulse.ingestion import pipeline

    target: Any = {
        "read": (stages, "_read_one"),
        "validate": (stages, "validate_one"),
        "clean": (stages, "_clean_one"),
        "load": (pipeline, "_check_dependencies"),
    }[stage]
    real = getattr(*target)

    def failing(*args: Any, **kwargs: Any) -> Any:
        item = next(a for a in args if isinstance(a, dict))
        if item["key"] == key:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(*target, failing)
