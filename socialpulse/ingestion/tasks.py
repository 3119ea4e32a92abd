"""The callables behind the ``ingest_events`` DAG's tasks (importable and testable alone).

Only object keys and counts cross task boundaries (XCom); event data travels between the
stage tasks as run-scoped artefacts in MinIO (:mod:`socialpulse.ingestion.work`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import psycopg
from airflow.sdk import Asset

from socialpulse.ingestion import discover, migrate, pipeline, quarantine, stages, work
from socialpulse.ingestion.config import get_ingest_settings
from socialpulse.ingestion.reader import ObjectRef
from socialpulse.ingestion.work import WorkArea
from socialpulse.settings import get_settings

log = logging.getLogger(__name__)

#: Published after every successful run; downstream DAGs (dbt transform) schedule on it.
#: The URI is a fixed identifier (not the live endpoint) so producer and consumers match.
RAW_EVENTS_ASSET = Asset(
    name="socialpulse_raw_events", uri="postgres://postgres:5432/socialpulse/raw/events"
)


def _minio() -> Any:
    from generator.writer import minio_client

    return minio_client(get_settings())


def migrate_raw_schema() -> list[str]:
    """Create/upgrade the ``raw`` schema (idempotent; cheap when up to date)."""
    return migrate.migrate(get_settings().warehouse_dsn)


def discover_objects() -> list[dict[str, Any]]:
    """Object versions to load this run, as small dicts (key, etag, size) for XCom."""
    settings, cfg = get_settings(), get_ingest_settings()
    try:
        with psycopg.connect(settings.warehouse_dsn, autocommit=True) as conn:
            todo = discover.discover(
                conn, _minio(), cfg.source_bucket(settings), cfg.prefix, cfg.max_files_per_run
            )
    except psycopg.Error as exc:
        log.error("discover: the warehouse is unreachable: %s", exc)
        raise
    return [asdict(o) for o in todo]


def _area(run_id: str) -> WorkArea:
    settings, cfg = get_settings(), get_ingest_settings()
    return WorkArea(_minio(), cfg.source_bucket(settings), cfg.work_prefix, run_id)


def read_files(objects: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """read: snapshot each object's lines into the run's work area; flag poison objects."""
    settings, cfg = get_settings(), get_ingest_settings()
    refs = [ObjectRef(**o) for o in objects]
    run = stages.read_objects(_area(run_id), cfg.source_bucket(settings), refs, cfg)
    run.raise_for_failures("read")
    return run.items


def validate_files(items: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """validate: the shared Pydantic contracts over every line (workers for a backlog)."""
    run = stages.validate_objects(_area(run_id), items, get_ingest_settings())
    run.raise_for_failures("validate")
    return run.items


def clean_files(items: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """clean: user references, duplicates within the object and against loaded events."""
    run = stages.clean_objects(_area(run_id), get_settings().warehouse_dsn, items)
    run.raise_for_failures("clean")
    return run.items


def load_files(items: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """load: each object in one transaction with its manifest row; returns run totals."""
    results, failed = pipeline.load_objects(
        get_settings().warehouse_dsn, _area(run_id), items, run_id
    )
    totals: dict[str, Any] = {"files": len(results)}
    for r in results:
        totals[r.outcome] = totals.get(r.outcome, 0) + 1
        for name in ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate"):
            totals[name] = totals.get(name, 0) + getattr(r.counts, name)
    log.info("loaded %d object(s): %s", len(results), totals)
    if failed:
        raise pipeline.IngestError(f"{len(failed)} object(s) failed and stay pending: {failed[:5]}")
    return totals


def cleanup_work(run_id: str) -> dict[str, int]:
    """Remove this run's artefacts and those of runs that died more than the TTL ago.

    Best effort: a failure is logged (the next run's sweep retries) and never fails the run.
    """
    cfg = get_ingest_settings()
    area = _area(run_id)
    out = {"removed": 0, "stale_removed": 0}
    try:
        out["removed"] = area.remove()
        out["stale_removed"] = work.remove_stale(
            area.client, area.bucket, cfg.work_prefix, timedelta(hours=cfg.work_ttl_hours)
        )
    except Exception as exc:
        log.error("could not remove artefacts under s3://%s/%s: %s", area.bucket, area.root, exc)
    return out


def reconcile() -> dict[str, int]:
    """Re-admit lines whose users registered since; check every manifest row reconciles."""
    with psycopg.connect(get_settings().warehouse_dsn, autocommit=True) as conn:
        result = quarantine.readmit(conn)
        bad = conn.execute(
            "SELECT count(*) FROM raw.ingest_manifest "
            "WHERE rows_read <> rows_loaded + rows_rejected + rows_duplicate"
        ).fetchone()
    if bad and bad[0]:
        raise RuntimeError(f"{bad[0]} manifest row(s) do not reconcile")
    return result


def run_counts(context: Mapping[str, Any]) -> dict[str, Any]:
    """Counts of the run in the context, from the manifest (for alert messages)."""
    run_id = getattr(context.get("dag_run"), "run_id", None)
    with psycopg.connect(get_settings().warehouse_dsn, connect_timeout=5) as conn:
        row = conn.execute(
            """SELECT count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                      coalesce(sum(rows_rejected), 0), coalesce(sum(rows_duplicate), 0),
                      count(*) FILTER (WHERE status = 'quarantined')
               FROM raw.ingest_manifest WHERE run_id = %s""",
            (run_id,),
        ).fetchone()
    assert row is not None
    files, read, loaded, rejected, dup, poison = row
    return {
        "files": f"{files} ({poison} quarantined)",
        "rows": f"read={read} loaded={loaded} rejected={rejected} duplicate={dup}",
    }
