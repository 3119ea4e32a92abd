"""The callables behind the ``ingest_events`` DAG's tasks (importable and testable alone).

Only object keys and counts cross task boundaries (XCom); event data travels between the
stage tasks as run-scoped artefacts in MinIO (:mod:`socialpulse.ingestion.work`).

This module is imported whenever the DAG file is parsed: by the dag-processor every
refresh, and by every task process before it runs. So it imports nothing heavy at module
level (pyarrow, the Pydantic contracts, psycopg, the MinIO client); each callable imports
what it needs. An idle minute's ``discover`` never loads the validation stack at all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset
from airflow.sdk.exceptions import AirflowSkipException

if TYPE_CHECKING:
    from socialpulse.ingestion.work import WorkArea

log = logging.getLogger(__name__)

#: Published by every run that loaded new rows; downstream DAGs (dbt transform) schedule on
#: it. The URI is a fixed identifier (not the live endpoint) so producer and consumers match.
RAW_EVENTS_ASSET = Asset(
    name="socialpulse_raw_events", uri="postgres://postgres:5432/socialpulse/raw/events"
)


def _minio() -> Any:
    from generator.writer import minio_client
    from socialpulse.settings import get_settings

    return minio_client(get_settings())


def discover_objects(prefix: str | None = None) -> list[dict[str, Any]]:
    """Migrate the ``raw`` schema (a no-op when up to date) and list the object versions to
    load this run as small dicts (key, etag, size).

    ``prefix`` overrides ``INGEST_PREFIX`` (a run triggered with ``{"prefix": ...}``).
    """
    from dataclasses import asdict

    import psycopg

    from socialpulse.ingestion import discover, migrate
    from socialpulse.ingestion.config import get_ingest_settings
    from socialpulse.settings import get_settings

    settings, cfg = get_settings(), get_ingest_settings()
    bucket = cfg.source_bucket(settings)
    migrate.migrate(settings.warehouse_dsn)
    try:
        with psycopg.connect(settings.warehouse_dsn, autocommit=True) as conn:
            todo = discover.discover(
                conn, _minio(), bucket, prefix or cfg.prefix, cfg.max_files_per_run
            )
    except psycopg.Error as exc:
        log.error("discover: the warehouse is unreachable: %s", exc)
        raise
    return [asdict(o) for o in todo]


def _area(run_id: str) -> WorkArea:
    from socialpulse.ingestion.config import get_ingest_settings
    from socialpulse.ingestion.work import WorkArea
    from socialpulse.settings import get_settings

    settings, cfg = get_settings(), get_ingest_settings()
    return WorkArea(_minio(), cfg.source_bucket(settings), cfg.work_prefix, run_id)


def read_files(objects: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """read: snapshot each object's lines into the run's work area; flag poison objects."""
    from socialpulse.ingestion import stages
    from socialpulse.ingestion.config import get_ingest_settings
    from socialpulse.ingestion.reader import ObjectRef
    from socialpulse.settings import get_settings

    settings, cfg = get_settings(), get_ingest_settings()
    refs = [ObjectRef(**o) for o in objects]
    run = stages.read_objects(_area(run_id), cfg.source_bucket(settings), refs, cfg)
    run.raise_for_failures("read")
    return run.items


def validate_files(items: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """validate: the bounds, then the shared Pydantic contracts, over every line."""
    from socialpulse.ingestion import stages
    from socialpulse.ingestion.config import get_ingest_settings

    run = stages.validate_objects(_area(run_id), items, get_ingest_settings())
    run.raise_for_failures("validate")
    return run.items


def clean_files(items: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """clean: user references, duplicates within the object and against loaded events."""
    from socialpulse.ingestion import stages
    from socialpulse.settings import get_settings

    run = stages.clean_objects(_area(run_id), get_settings().warehouse_dsn, items)
    run.raise_for_failures("clean")
    return run.items


def load_files(items: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """load: each object in one transaction with its manifest row; then re-admit lines whose
    users registered since, and remove the run's artefacts. Returns the run's totals
    (``new_rows``: events that became visible in ``raw.events`` in this task)."""
    import psycopg

    from socialpulse.ingestion import pipeline, quarantine
    from socialpulse.settings import get_settings

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
    _remove_artefacts(area)
    return totals


def _remove_artefacts(area: WorkArea) -> None:
    """Remove this run's artefacts and the folders of runs that died more than the TTL ago
    (they never reached this point). Best effort: a failure is logged, the next run's
    sweep retries, the run does not fail."""
    from datetime import timedelta

    from socialpulse.ingestion import work
    from socialpulse.ingestion.config import get_ingest_settings

    ttl = timedelta(hours=get_ingest_settings().work_ttl_hours)
    try:
        area.remove()
        work.remove_stale(area.client, area.bucket, area.prefix, ttl)
    except Exception as exc:
        log.error("could not remove artefacts under s3://%s/%s: %s", area.bucket, area.prefix, exc)


def publish(totals: dict[str, Any]) -> dict[str, Any]:
    """Let the Asset event through only when the run made new rows visible: a skipped task
    emits none, so an idle minute (or one of duplicates and rejects) triggers no transform."""
    if not totals.get("new_rows"):
        raise AirflowSkipException("no new rows in raw.events: no Asset event")
    return totals


def run_counts(context: Mapping[str, Any]) -> dict[str, Any]:
    """Counts of the run in the context, from the manifest (for alert messages)."""
    import psycopg

    from socialpulse.settings import get_settings

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
