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
from airflow.sdk.exceptions import AirflowSkipException

from socialpulse.ingestion import discover, migrate, pipeline, quarantine, stages, work
from socialpulse.ingestion.config import IngestSettings, get_ingest_settings
from socialpulse.ingestion.reader import ObjectRef
from socialpulse.ingestion.work import WorkArea
from socialpulse.settings import get_settings

log = logging.getLogger(__name__)

#: Published by every run that loaded new rows; downstream DAGs (dbt transform) schedule on it.
#: The URI is a fixed identifier (not the live endpoint) so producer and consumers match.
RAW_EVENTS_ASSET = Asset(
    name="socialpulse_raw_events", uri="postgres://postgres:5432/socialpulse/raw/events"
)


def _minio() -> Any:
    from generator.writer import minio_client

    return minio_client(get_settings())


def discover_objects(prefix: str | None = None) -> list[dict[str, Any]]:
    """Migrate the ``raw`` schema (a no-op when up to date), sweep artefact folders of dead
    runs, and list the object versions to load this run as small dicts (key, etag, size).

    ``prefix`` overrides ``INGEST_PREFIX`` (a run triggered with ``{"prefix": ...}``).
    """
    settings, cfg = get_settings(), get_ingest_settings()
    bucket = cfg.source_bucket(settings)
    migrate.migrate(settings.warehouse_dsn)
    client = _minio()
    _sweep_stale(client, bucket, cfg)
    try:
        with psycopg.connect(settings.warehouse_dsn, autocommit=True) as conn:
            todo = discover.discover(
                conn, client, bucket, prefix or cfg.prefix, cfg.max_files_per_run
            )
    except psycopg.Error as exc:
        log.error("discover: the warehouse is unreachable: %s", exc)
        raise
    return [asdict(o) for o in todo]


def _sweep_stale(client: Any, bucket: str, cfg: IngestSettings) -> None:
    """Remove artefact folders of runs that died more than the TTL ago (best effort)."""
    try:
        work.remove_stale(client, bucket, cfg.work_prefix, timedelta(hours=cfg.work_ttl_hours))
    except Exception as exc:
        log.error("could not sweep stale artefacts under s3://%s/%s: %s",
                  bucket, cfg.work_prefix, exc)  # fmt: skip


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
    """load: each object in one transaction with its manifest row; then re-admit lines whose
    users registered since, and remove the run's artefacts. Returns the run's totals
    (``new_rows``: events that became visible in ``raw.events`` in this task)."""
    settings = get_settings()
    area = _area(run_id)
    results, failed = pipeline.load_objects(settings.warehouse_dsn, area, items, run_id)
    totals: dict[str, Any] = {"files": len(results)}
    for r in results:
        totals[r.outcome] = totals.get(r.outcome, 0) + 1
        for name in ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate"):
            totals[name] = totals.get(name, 0) + getattr(r.counts, name)
    readmitted = 0
    if results:  # registrations loaded now (or by an earlier try) may resolve references
        with psycopg.connect(settings.warehouse_dsn, autocommit=True) as conn:
            readmitted = quarantine.readmit(conn)["readmitted"]
    totals["readmitted"] = readmitted
    totals["new_rows"] = totals.get("rows_loaded", 0) + readmitted
    log.info("loaded %d object(s): %s", len(results), totals)
    if failed:
        # The artefacts stay for the retry (it reuses what the stages wrote).
        raise pipeline.IngestError(f"{len(failed)} object(s) failed and stay pending: {failed[:5]}")
    try:
        area.remove()
    except Exception as exc:  # best effort: the stale sweep removes it later
        log.error("could not remove artefacts under s3://%s/%s: %s", area.bucket, area.root, exc)
    return totals


def publish(totals: dict[str, Any]) -> dict[str, Any]:
    """Let the Asset event through only when the run made new rows visible: a skipped task
    emits none, so an idle minute (or one of duplicates and rejects) triggers no transform."""
    if not totals.get("new_rows"):
        raise AirflowSkipException("no new rows in raw.events: no Asset event")
    return totals


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
