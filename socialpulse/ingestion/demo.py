"""Demo step: a short dirty backfill, one ``ingest_events`` run via REST, and its summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import typer

from socialpulse.airflow_api import AirflowApi
from socialpulse.ingestion.config import get_ingest_settings
from socialpulse.ingestion.manifest import summary
from socialpulse.ingestion.migrate import migrate
from socialpulse.settings import Settings

#: The world a demo starts when the bucket has none yet.
DEMO_SEED, DEMO_USERS = 2026, 300


def run_ingestion_demo(settings: Settings, minutes: int = 30, users: int = DEMO_USERS) -> None:
    """Backfill up to ``minutes`` simulated minutes (2 % dirty) into MinIO, ingest, print totals.

    The demo writes where ingestion reads, as the world that owns that prefix: the one a
    previous demo, ``generate backfill`` or ``generate run`` left there (the state its owner
    record names), or a new one if the prefix is empty. It never writes another world into it and
    never rewrites an object: it continues after the last minute the world wrote, and never
    past the last closed minute (ingestion rejects events from the future).
    """
    from generator import ownership, runner, simulation, state
    from generator.writer import ObjectWriter, minio_sink

    cfg = get_ingest_settings()
    sink = minio_sink(
        settings, prefix=cfg.prefix.removesuffix("events/"), bucket=cfg.source_bucket(settings)
    )
    name = ownership.owner_state(sink) or state.default_name(sink.describe())
    state_file = state.state_path(settings, name)
    _adopt_earlier_demo_state(settings, state_file)
    with state.locked(state_file):
        gen = state.load(state_file)
        resumed = gen is not None
        if gen is None:
            start = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
            gen = state.new_state(simulation.create_world(DEMO_SEED, start, users))
        last_closed = runner.minute_index(datetime.now(UTC)) - 1
        minutes = max(0, min(minutes, last_closed - gen.world.next_minute + 1))
        try:
            typer.echo("  " + ownership.prepare(sink, gen, name, resumed=resumed, minutes=minutes))
        except ownership.PrefixOwnedError as exc:
            typer.echo(f"  error: {exc}", err=True)
            raise typer.Exit(1) from exc
        writer = ObjectWriter(sink)
        try:
            stats = runner.backfill(gen, writer, minutes, dirty_rate=0.02, state_file=state_file)
        finally:
            writer.close()
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


def _adopt_earlier_demo_state(settings: Settings, state_file: Path) -> None:
    """Earlier demos kept their world in ``demo.pkl.gz``; it is the world of this prefix."""
    from generator import state

    earlier = state.state_path(settings, "demo")
    if earlier.exists() and not state_file.exists():
        earlier.rename(state_file)
