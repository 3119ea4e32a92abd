"""`make demo`: start the real stack, backfill a world, and leave the live pipeline running.

The demo ends when the first minute file the live generator wrote after the demo started has
reached the ClickHouse marts through the Airflow ``transform`` DAG; it prints that file's
freshness, where to watch the pipeline, and a few numbers read as the analyst. Everything keeps
running afterwards (``make stack-down`` stops it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import typer

from infra.stack.registry import service
from socialpulse.airflow_api import AirflowApi
from socialpulse.settings import Settings

#: Services the demo starts first; the generator and the docs site come once data exists.
CORE_SERVICES = ("postgres", "minio", "clickhouse", "neo4j", "airflow")
LIVE_DAGS = ("ingest_events", "transform")
#: A new world starts this long ago, so the dashboards have days of history at once.
BACKFILL_DAYS = 2.0


def start_stack(settings: Settings) -> None:
    for name in CORE_SERVICES:
        t0 = time.monotonic()
        service(name, settings).start()
        typer.echo(f"  {name:<10} healthy ({time.monotonic() - t0:.1f}s)")


def run_healthcheck_dag(settings: Settings) -> None:
    api = AirflowApi(settings)
    run_id, state = api.run_dag("stack_healthcheck", timeout_s=300)
    for task_id, task_state in sorted(api.task_states("stack_healthcheck", run_id).items()):
        typer.echo(f"  {task_id:<20} {task_state}")
    if state != "success":
        raise typer.Exit(1)
    typer.echo(f"  run {run_id}: {state}  ({settings.airflow_url}/dags/stack_healthcheck)")


def backfill_world(settings: Settings) -> None:
    """Bring the live generator's world up to the last closed minute, at full speed.

    A new world starts BACKFILL_DAYS ago; an existing one (a second demo) continues after the
    last minute it wrote, so no object is ever written twice. A world the generator service
    began live (``stack up`` before any demo: no history) is begun again BACKFILL_DAYS back,
    as long as ingestion has loaded none of it.
    """
    from generator import ownership, runner, simulation, state
    from generator.writer import minio_sink
    from socialpulse.ingestion.migrate import migrate

    service("generator", settings).stop()  # a second demo: the running one holds the world
    migrate(settings.warehouse_dsn)  # the raw tables the next steps read exist from here on
    path = state.state_path(settings, settings.generator_world)
    sink = minio_sink(settings)
    with state.locked(path):
        gen = state.load(path)
        if gen is not None and _begin_unread_world_again(settings, path):
            gen = None
        resumed = gen is not None
        if gen is None:
            start = (datetime.now(UTC) - timedelta(days=BACKFILL_DAYS)).replace(
                second=0, microsecond=0
            )
            world = simulation.create_world(
                settings.generator_seed, start, settings.generator_users
            )
            gen = state.new_state(world)
        minutes = max(0, runner.minute_index(datetime.now(UTC)) - gen.world.next_minute)
        try:  # the prefix is this world's, and the minutes to write are free
            typer.echo("  " + ownership.prepare(
                sink, gen, settings.generator_world, resumed=resumed, minutes=minutes
            ))  # fmt: skip
        except ownership.PrefixOwnedError as exc:
            typer.echo(f"  {exc}", err=True)
            raise typer.Exit(2) from exc
        _write_minutes(settings, gen, path, sink, minutes)


def _begin_unread_world_again(settings: Settings, path: Any) -> bool:
    """Forget a world younger than BACKFILL_DAYS of which nothing was loaded (its minute files,
    defect reports, owner record and state); whether it did."""
    from generator import ownership
    from generator.writer import minio_client
    from socialpulse.transform.world import remove_prefix

    client = minio_client(settings)
    bucket = settings.minio_bucket
    # keys are time-named: the first one listed is the world's first minute
    first = next(iter(client.list_objects(bucket, prefix="events/", recursive=True)), None)
    minute = ownership.minute_of_key(str(first.object_name)) if first is not None else None
    if minute is not None and minute < datetime.now(UTC) - timedelta(days=BACKFILL_DAYS):
        return False
    with psycopg.connect(settings.warehouse_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM raw.ingest_manifest").fetchone()
    if row is None or row[0] > 0:
        return False
    removed = sum(remove_prefix(p, settings=settings) for p in ("events/", "defects/"))
    client.remove_object(bucket, ownership.OWNER_KEY)
    path.unlink()
    typer.echo(
        f"  the generator service had begun world {settings.generator_world!r} live "
        f"({removed} objects, none loaded): beginning it again {BACKFILL_DAYS:g} days back"
    )
    return True


def _write_minutes(settings: Settings, gen: Any, path: Any, sink: Any, minutes: int) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from generator import runner
    from generator.writer import ObjectWriter

    writer = ObjectWriter(sink)
    try:
        with Progress(
            TextColumn("  backfill"), BarColumn(), TextColumn("{task.completed}/{task.total} min"),
            TextColumn("{task.fields[events]:,} events"), TimeRemainingColumn(),
        ) as progress:  # fmt: skip
            bar = progress.add_task("backfill", total=minutes, events=0)

            def tick(i: int, stats: runner.Stats) -> None:
                progress.update(bar, completed=i + 1, events=stats.events)

            stats = runner.backfill(
                gen, writer, minutes, dirty_rate=settings.generator_dirty_rate,
                state_file=path, on_minute=tick,
            )  # fmt: skip
    finally:
        writer.close()
    typer.echo(
        f"  world {settings.generator_world!r} ({settings.generator_users:,} users): "
        f"{stats.events:,} events in {stats.objects:,} objects up to the last closed minute"
    )


def start_live_services(settings: Settings) -> None:
    for name in ("generator", "dbt-docs"):
        t0 = time.monotonic()
        svc = service(name, settings)
        svc.start()
        typer.echo(f"  {name:<10} healthy ({time.monotonic() - t0:.1f}s)  {svc.url}")
    api = AirflowApi(settings)
    for dag_id in LIVE_DAGS:
        api.wait_for_dag(dag_id)
        api.unpause(dag_id)
    typer.echo(f"  unpaused {', '.join(LIVE_DAGS)}: ingestion every minute, transform on new data")


@dataclass(frozen=True)
class Freshness:
    key: str
    uploaded_at: datetime
    visible_at: datetime
    transform_run_id: str

    @property
    def seconds(self) -> float:
        return (self.visible_at - self.uploaded_at).total_seconds()


def first_file_after(settings: Settings, since: datetime) -> tuple[str, datetime]:
    """The first minute object the generator uploaded at or after ``since`` (waits for it)."""
    from generator.writer import minio_client

    client = minio_client(settings)
    while True:
        uploaded = [
            (o.last_modified, str(o.object_name))
            for o in client.list_objects(settings.minio_bucket, prefix="events/", recursive=True)
            if str(o.object_name).endswith(".jsonl.gz") and o.last_modified >= since
        ]
        if uploaded:
            when, key = min(uploaded)
            return key, when
        time.sleep(5)


_VISIBLE_SQL = """
SELECT s.run_id, s.completed_at
FROM raw.load_snapshots s
WHERE s.consumer = 'transform' AND s.completed_at IS NOT NULL
  AND s.load_ts_to >= (SELECT max(e.loaded_at) FROM raw.events e WHERE e.source_object = %(key)s)
ORDER BY s.completed_at
LIMIT 1
"""


def wait_until_in_marts(
    settings: Settings, key: str, timeout_s: float = 3600
) -> tuple[str, datetime]:
    """(transform run id, completion time) of the first run whose marts include ``key``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with psycopg.connect(settings.warehouse_dsn) as conn:
            row = conn.execute(_VISIBLE_SQL, {"key": key}).fetchone()
        if row is not None:
            return str(row[0]), row[1]
        time.sleep(5)
    raise TimeoutError(f"{key} did not reach the marts within {timeout_s:.0f} s")


def follow_a_minute_file(settings: Settings, since: datetime) -> Freshness:
    key, uploaded = first_file_after(settings, since)
    typer.echo(f"  first live minute file: {key} (uploaded {uploaded:%H:%M:%S} UTC)")
    run_id, visible = wait_until_in_marts(settings, key)
    return Freshness(key, uploaded, visible, run_id)


def show_live_pipeline(settings: Settings, since: datetime) -> None:
    freshness = follow_a_minute_file(settings, since)
    typer.echo(
        f"  in the marts at {freshness.visible_at:%H:%M:%S} UTC: freshness {freshness.seconds:.0f} s"
    )
    typer.echo(
        f"  Cosmos run: {settings.airflow_url}/dags/transform/runs/{freshness.transform_run_id}"
    )
    typer.echo(f"  dbt docs:   {settings.dbt_docs_url}")


def read_marts(settings: Settings) -> None:
    from infra.stack.clickhouse import ClickHouseService
    from socialpulse.transform.marts import headline_numbers

    client = ClickHouseService(settings).client(analyst=True)  # what Tableau sees
    for title, rows in headline_numbers(client).items():
        typer.echo(f"  {title}:")
        for row in rows:
            typer.echo("    " + " | ".join(str(value) for value in row))


def say_what_keeps_running(settings: Settings) -> None:
    typer.echo(
        "  still running: generator (a file a minute), ingest_events (every minute), transform\n"
        f"  (on new data), dbt docs. Watch: {settings.airflow_url}/dags/transform (graph view),\n"
        f'  {settings.dbt_docs_url}, `socialpulse query clickhouse "select * from '
        'marts.mart_platform_daily order by activity_date desc limit 3"`. Stop: make stack-down'
    )


def run_demo(settings: Settings) -> None:
    steps: list[tuple[str, Callable[[Settings], Any]]] = [
        ("start the native stack", start_stack),
        ("run DAG stack_healthcheck through the Airflow REST API", run_healthcheck_dag),
        (f"backfill the live world ({BACKFILL_DAYS:g} days)", backfill_world),
        ("start the live generator and the dbt docs site; unpause the DAGs", start_live_services),
        (
            "follow a minute file through ingest_events and transform into the marts",
            # the generator is live by now: the next file it uploads is a wall-clock minute's
            # (the backfilled ones were all uploaded before)
            lambda s: show_live_pipeline(s, datetime.now(UTC)),
        ),
        ("read the marts as the analyst", read_marts),
        ("leave the pipeline running", say_what_keeps_running),
    ]
    for number, (title, step) in enumerate(steps, start=1):
        typer.echo(f"[{number}/{len(steps)}] {title}")
        step(settings)
