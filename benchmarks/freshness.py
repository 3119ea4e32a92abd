"""The live loop's figures: freshness, Airflow vs dbt CLI, and run time as history grows.

Runs on a stack of its own beside the developer's (ports + SOCIALPULSE_BENCH_PORT_OFFSET,
default 2000; data under .state/bench-stack), which it empties first. Prints figures; asserts
nothing.

1. History, day 1: a world of --users users starting --days ago; its first day is generated
   and loaded (ingestion pipeline + dbt CLI, with the same snapshot bookkeeping as the DAG).
2. After 1 day: one more minute is loaded, then a ``transform`` run through Airflow is timed
   (--repeat times); the same for a CLI build of the same selection (vault on Postgres, the
   graph sidecar, marts on ClickHouse), side by side.
3. History up to now (the other days), then the same timings after --days days.
4. Live: the generator service continues the world one file per wall-clock minute,
   ``ingest_events`` and ``transform`` run by the scheduler for --live-minutes minutes; for
   every minute file, the time from its upload to the completion of the first transform run
   whose snapshot covers it.

    .venv/bin/python benchmarks/freshness.py                       # 10k users, 7 days, 30 min
    .venv/bin/python benchmarks/freshness.py --users 2000 --days 2 --live-minutes 10   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from socialpulse.settings import bench_stack_environment

os.environ.update(bench_stack_environment())

import psycopg

from generator import runner, simulation, state
from generator.writer import ObjectWriter, minio_client, minio_sink
from infra.stack.registry import service
from socialpulse.airflow_api import AirflowApi
from socialpulse.settings import Settings, get_settings
from socialpulse.transform import snapshot
from socialpulse.transform.cosmos_config import MARTS_SELECT, VAULT_SELECT
from socialpulse.transform.project import run_dbt
from socialpulse.transform.world import ingest_prefix

SERVICES = ("postgres", "minio", "clickhouse", "neo4j", "airflow")
WORLD = "bench"
RAW = "raw.events, raw.quarantine, raw.known_users, raw.ingest_manifest, raw.load_snapshots"


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# --- set-up -------------------------------------------------------------------------------


def reset(s: Settings) -> None:
    """An empty bench stack: raw tables, vault, marts, bucket, generator world."""
    from minio.deleteobjects import DeleteObject

    from infra.stack.clickhouse import ClickHouseService
    from socialpulse.ingestion.migrate import migrate

    migrate(s.warehouse_dsn)
    with psycopg.connect(s.warehouse_dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS staging, raw_vault, business_vault, graph CASCADE")
        conn.execute(f"TRUNCATE {RAW} RESTART IDENTITY")
    ch = ClickHouseService(s).client()
    for database in ("marts", "landing", "staging", "raw_vault", "business_vault", "graph"):
        ch.command(f"DROP DATABASE IF EXISTS {database} SYNC")
    client = minio_client(s)
    names = [o.object_name for o in client.list_objects(s.minio_bucket, recursive=True)]
    list(client.remove_objects(s.minio_bucket, [DeleteObject(n) for n in names]))
    state.state_path(s, WORLD).unlink(missing_ok=True)


def generate(s: Settings, gen: state.GeneratorState, minutes: int) -> int:
    """Write the next ``minutes`` minutes of the world; events written."""
    writer = ObjectWriter(minio_sink(s), validate_in=1)
    try:
        stats = runner.backfill(gen, writer, minutes, state_file=state.state_path(s, WORLD))
    finally:
        writer.close()
    return stats.events


def cli_transform(s: Settings, run_id: str) -> dict[str, float]:
    """What the DAG does, with the dbt CLI: snapshot, vault, graph, marts, complete."""
    from neo4j_jobs.run import sync_and_rank
    from socialpulse.transform.marts import centrality_snapshot

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    taken = snapshot.begin(s.warehouse_dsn, run_id)
    dbt_vars = ["--vars", json.dumps(taken.dbt_vars())]
    t1 = time.perf_counter()
    run_dbt(["build", "--select", *VAULT_SELECT, *dbt_vars], settings=s, target="pg")
    t2 = time.perf_counter()
    try:
        sync_and_rank(s)
    finally:
        centrality_snapshot(s)
    t3 = time.perf_counter()
    run_dbt(["build", "--select", *MARTS_SELECT, *dbt_vars], settings=s, target="ch")
    t4 = time.perf_counter()
    snapshot.complete(s.warehouse_dsn, run_id)
    seconds.update(snapshot=t1 - t0, vault=t2 - t1, graph=t3 - t2, marts=t4 - t3)
    seconds["total"] = time.perf_counter() - t0
    return seconds


def load_history(s: Settings, gen: state.GeneratorState, minutes: int, label: str) -> None:
    """Generate and load ``minutes`` minutes, then bring vault and marts up to date (CLI)."""
    chunk = 360  # six hours at a time keeps each load and build bounded
    done = 0
    while done < minutes:
        n = min(chunk, minutes - done)
        t0 = time.perf_counter()
        events = generate(s, gen, n)
        files = ingest_prefix(s.warehouse_dsn, "events/", settings=s)
        build = cli_transform(s, f"bench-history-{label}-{done}")
        done += n
        say(
            f"history {label}: {done}/{minutes} min, +{events:,} events in {files} files, "
            f"vault {build['vault']:.0f} s, marts {build['marts']:.0f} s "
            f"({time.perf_counter() - t0:.0f} s)"
        )


# --- timings ----------------------------------------------------------------------------


def airflow_run(api: AirflowApi) -> dict[str, float]:
    """One transform run through the scheduler: its wall time and its main tasks' times."""
    run_id = api.trigger("transform")
    state_ = api.wait_for_run("transform", run_id, timeout_s=3600)
    if state_ != "success":
        raise RuntimeError(f"transform run {run_id} ended {state_}")
    run = api._call("GET", f"/dags/transform/dagRuns/{run_id}")
    tis = api.task_instances("transform", run_id)
    started = datetime.fromisoformat(run["start_date"])
    ended = datetime.fromisoformat(run["end_date"])
    out = {"total": (ended - started).total_seconds()}
    for ti in tis:
        if ti["task_id"] in (
            "snapshot",
            "vault.dbt_producer_watcher",
            "graph_sync_and_rank",
            "marts.dbt_producer_watcher",
            "complete",
        ):
            out[ti["task_id"].replace(".dbt_producer_watcher", "")] = float(ti["duration"] or 0)
    return out


def one_minute_then(s: Settings, gen: state.GeneratorState, measure: Callable[[], Any]) -> Any:
    """Load one more minute of the world, then measure what follows."""
    generate(s, gen, 1)
    ingest_prefix(s.warehouse_dsn, "events/", settings=s)
    return measure()


def side_by_side(
    s: Settings, gen: state.GeneratorState, api: AirflowApi, repeat: int, label: str
) -> tuple[float, float]:
    """Median seconds of a one-minute transform: through Airflow, and with the CLI."""
    airflow: list[dict[str, float]] = []
    cli: list[dict[str, float]] = []
    for i in range(repeat):
        airflow.append(one_minute_then(s, gen, lambda: airflow_run(api)))
        cli.append(one_minute_then(s, gen, lambda i=i: cli_transform(s, f"bench-cli-{label}-{i}")))
    for name, runs in (("Airflow", airflow), ("CLI", cli)):
        parts = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        say(f"{label}: {name:<7} " + "  ".join(f"{k} {v:.1f}s" for k, v in parts.items()))
    a = statistics.median(r["total"] for r in airflow)
    c = statistics.median(r["total"] for r in cli)
    say(f"{label}: Airflow/CLI = {a:.1f}/{c:.1f} s = {a / c:.2f} (target <= 1.3)")
    return a, c


# --- live ---------------------------------------------------------------------------------


_FRESHNESS_SQL = """
SELECT m.object_key, m.finished_at,
       (SELECT min(s.completed_at) FROM raw.load_snapshots s
        WHERE s.consumer = 'transform' AND s.completed_at IS NOT NULL
          AND s.load_ts_to >= (SELECT max(e.loaded_at) FROM raw.events e
                               WHERE e.manifest_id = m.manifest_id)) AS visible_at
FROM raw.ingest_manifest m
WHERE m.object_key = ANY(%(keys)s) AND m.rows_loaded > 0
"""


def live(s: Settings, api: AirflowApi, minutes: float) -> list[float]:
    """Run the live pipeline for ``minutes``; freshness (s) of every minute file written."""
    generator = service("generator", s)
    since = datetime.now(UTC)
    generator.start()
    for dag_id in ("ingest_events", "transform"):
        api.unpause(dag_id)
    say(f"live for {minutes:g} minutes ...")
    time.sleep(minutes * 60)
    generator.stop()
    # let the last files through
    deadline = time.monotonic() + 600
    client = minio_client(s)
    uploads = {
        str(o.object_name): o.last_modified
        for o in client.list_objects(s.minio_bucket, prefix="events/", recursive=True)
        if str(o.object_name).endswith(".jsonl.gz") and o.last_modified >= since
    }
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        with psycopg.connect(s.warehouse_dsn) as conn:
            rows = conn.execute(_FRESHNESS_SQL, {"keys": list(uploads)}).fetchall()
        if rows and all(r[2] is not None for r in rows):
            break
        time.sleep(10)
    for dag_id in ("ingest_events", "transform"):
        api.set_paused(dag_id, True)
    return [(r[2] - uploads[r[0]]).total_seconds() for r in rows if r[2] is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--live-minutes", type=float, default=30.0)
    args = parser.parse_args()
    s = get_settings()
    say(f"bench stack: {s.state_dir} (Postgres :{s.postgres_port}, Airflow {s.airflow_url})")
    for name in SERVICES:
        service(name, s).start()
    reset(s)
    api = AirflowApi(s)
    for dag_id in ("ingest_events", "transform"):
        api.wait_for_dag(dag_id)
        api.set_paused(dag_id, True)
    api.unpause("transform")  # triggered by hand below; ingest_events stays off until live
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    gen = state.new_state(simulation.create_world(7, now - timedelta(days=args.days), args.users))
    s = s.model_copy(update={"generator_world": WORLD, "generator_users": args.users})

    load_history(s, gen, 1440, "day 1")
    one_day = side_by_side(s, gen, api, args.repeat, "after 1 day")
    remaining = runner.minute_index(datetime.now(UTC)) - gen.world.next_minute - 2
    load_history(s, gen, remaining, f"days 2-{args.days}")
    all_days = side_by_side(s, gen, api, args.repeat, f"after {args.days} days")
    say(
        f"history: Airflow run after {args.days} days / after 1 day = "
        f"{all_days[0]:.1f}/{one_day[0]:.1f} s = {all_days[0] / one_day[0]:.2f} (target <= 1.3)"
    )
    freshness = sorted(live(s, api, args.live_minutes))
    if freshness:
        p95 = freshness[min(len(freshness) - 1, round(0.95 * (len(freshness) - 1)))]
        say(
            f"freshness over {len(freshness)} minute files at {args.users:,} users: "
            f"p50 {statistics.median(freshness):.0f} s, p95 {p95:.0f} s, "
            f"max {freshness[-1]:.0f} s (target p95 <= 120 s)"
        )
    else:
        say("freshness: no minute file reached the marts")


if __name__ == "__main__":
    main()
