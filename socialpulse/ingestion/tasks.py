"""The callables behind the ``ingest_events`` DAG's tasks (importable and testable alone).

Only object keys and counts cross task boundaries (XCom); event data never does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import psycopg
from airflow.sdk import Asset

from socialpulse.ingestion import discover, migrate, pipeline, quarantine
from socialpulse.ingestion.config import get_ingest_settings
from socialpulse.ingestion.reader import ObjectRef
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


def process_files(objects: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """Read -> validate -> clean -> load each object (one transaction per object)."""
    settings, cfg = get_settings(), get_ingest_settings()
    refs = [ObjectRef(**o) for o in objects]
    results = pipeline.process_objects(
        settings.warehouse_dsn, _minio(), cfg.source_bucket(settings), refs, cfg, run_id
    )
    totals: dict[str, Any] = {"files": len(results)}
    for r in results:
        totals[r.outcome] = totals.get(r.outcome, 0) + 1
        for name in ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate"):
            totals[name] = totals.get(name, 0) + getattr(r.counts, name)
    log.info("processed %d object(s): %s", len(results), totals)
    return totals


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
