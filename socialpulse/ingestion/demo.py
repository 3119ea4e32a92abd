"""Demo step: a short dirty backfill, one ``ingest_events`` run via REST, and its summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import typer

from socialpulse.airflow_api import AirflowApi
from socialpulse.ingestion.config import get_ingest_settings
from socialpulse.ingestion.manifest import summary
from socialpulse.ingestion.migrate import migrate
from socialpulse.settings import Settings


def run_ingestion_demo(settings: Settings, minutes: int = 30, users: int = 300) -> None:
    """Backfill ``minutes`` simulated minutes (2 % dirty) into MinIO, ingest, print totals."""
    from generator import runner, simulation, state
    from generator.writer import ObjectWriter, minio_sink

    cfg = get_ingest_settings()
    root = cfg.prefix.removesuffix("events/")
    # One demo world, kept between runs (like `generate run`): a rerun continues it, so ids
    # are never reused for other posts/users in the same warehouse. Never past the last
    # closed minute (ingestion rejects events from the future).
    state_file = state.state_path(settings, "demo")
    gen = state.load(state_file)
    if gen is None:
        start = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
        gen = state.new_state(simulation.create_world(2026, start, users))
    last_closed = runner.minute_index(datetime.now(UTC)) - 1
    minutes = max(0, min(minutes, last_closed - gen.world.next_minute + 1))
    writer = ObjectWriter(minio_sink(settings, prefix=root, bucket=cfg.source_bucket(settings)))
    try:
        stats = runner.backfill(gen, writer, minutes, dirty_rate=0.02)
    finally:
        writer.close()
    state.save(gen, state_file)
    typer.echo(f"  backfill: {stats.events:,} events in {stats.objects} objects")
    migrate(settings.warehouse_dsn)
    api = AirflowApi(settings)
    run_id, final = api.run_dag("ingest_events", timeout_s=600)
    typer.echo(f"  run {run_id}: {final}  ({settings.airflow_url}/dags/ingest_events)")
    with psycopg.connect(settings.warehouse_dsn) as conn:
        totals = summary(conn, cfg.prefix)
        reasons = conn.execute(
            "SELECT reason, count(*) FROM raw.quarantine WHERE object_key LIKE %s "
            "AND resolved_at IS NULL GROUP BY reason ORDER BY 2 DESC",
            (cfg.prefix + "%",),
        ).fetchall()
    typer.echo("  manifest: " + ", ".join(f"{k}={v:,}" for k, v in totals.items()))
    typer.echo("  quarantine: " + (", ".join(f"{r}={n}" for r, n in reasons) or "empty"))
    if final != "success":
        raise typer.Exit(1)
