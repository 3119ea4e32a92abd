"""A generated + ingested world in its own PostgreSQL database (tests, benchmarks, previews).

``generate_and_ingest(dsn, users=300, minutes=180)`` generates ``minutes`` simulated minutes
into MinIO under a private prefix and loads them with the real ingestion pipeline, so the
vault is built from exactly what the production path lands in ``raw``;
``build_scratch_marts`` carries such a world on through the vault, the graph job and the
marts, beside the real ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from socialpulse.settings import Settings, get_settings


@dataclass
class LoadedWorld:
    database: str
    prefix: str
    events: int
    files: int


def ensure_database(database: str, settings: Settings | None = None, *, fresh: bool = False) -> str:
    """Create ``database`` (dropping it first when ``fresh``) and migrate ``raw``; its DSN."""
    from socialpulse.ingestion.migrate import migrate

    s = settings or get_settings()
    with psycopg.connect(s.postgres_dsn("postgres"), autocommit=True) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    dsn = s.postgres_dsn(database)
    migrate(dsn)
    return dsn


def generate_and_ingest(
    dsn: str,
    *,
    users: int = 300,
    minutes: int = 180,
    seed: int = 7,
    start: datetime | None = None,
    settings: Settings | None = None,
    prefix: str | None = None,
    skip: Callable[[str], bool] | None = None,
) -> LoadedWorld:
    """Generate a world into MinIO under a private prefix and ingest it into ``dsn``."""
    from generator import runner, simulation, state
    from generator.writer import MinioSink, ObjectWriter, minio_client

    s = settings or get_settings()
    begin = start or (datetime.now(UTC) - timedelta(minutes=minutes + 60)).replace(
        second=0, microsecond=0
    )
    root = prefix if prefix is not None else f"test-dbt-{uuid.uuid4().hex[:10]}/"
    client = minio_client(s)
    gen = state.new_state(simulation.create_world(seed, begin, users))
    writer = ObjectWriter(MinioSink(client, s.minio_bucket, root))
    try:
        stats = runner.backfill(gen, writer, minutes)
    finally:
        writer.close()
    loaded = ingest_prefix(dsn, root + "events/", settings=s, skip=skip)
    return LoadedWorld(dsn.rsplit("/", 1)[-1], root, stats.events, loaded)


def ingest_prefix(
    dsn: str,
    prefix: str,
    *,
    settings: Settings | None = None,
    skip: Callable[[str], bool] | None = None,
) -> int:
    """Load every pending object under ``prefix`` (like one ingestion DAG run); files loaded.

    ``skip(key)`` holds objects back (they stay pending): a later call without it loads them
    as late files.
    """
    from generator.writer import minio_client
    from socialpulse.ingestion.config import IngestSettings
    from socialpulse.ingestion.discover import discover
    from socialpulse.ingestion.pipeline import process_objects
    from socialpulse.ingestion.quarantine import readmit

    s = settings or get_settings()
    client = minio_client(s)
    cfg = IngestSettings(bucket=s.minio_bucket, prefix=prefix, max_files_per_run=100_000)
    with psycopg.connect(dsn, autocommit=True) as conn:
        todo = discover(conn, client, s.minio_bucket, prefix, 100_000)
    if skip is not None:
        todo = [obj for obj in todo if not skip(obj.key)]
    results = process_objects(dsn, client, s.minio_bucket, todo, cfg, run_id="dbt-world")
    with psycopg.connect(dsn, autocommit=True) as conn:
        readmit(conn)
    return len(results)


def remove_prefix(prefix: str, *, settings: Settings | None = None) -> int:
    """Delete every object under ``prefix`` in the project bucket (test/benchmark cleanup)."""
    from minio.deleteobjects import DeleteObject

    from generator.writer import minio_client

    s = settings or get_settings()
    client = minio_client(s)
    names = [
        o.object_name for o in client.list_objects(s.minio_bucket, prefix=prefix, recursive=True)
    ]
    errors = list(client.remove_objects(s.minio_bucket, [DeleteObject(n) for n in names]))
    if errors:
        raise RuntimeError(f"could not delete {len(errors)} object(s) under {prefix}: {errors[:3]}")
    return len(names)


@dataclass
class HistoryRun:
    """One timed ``dbt build`` for one minute of new events on top of ``days`` of history."""

    days: int
    history_events: int
    new_events: int
    vault_seconds: float
    marts_seconds: float | None


def history_runs(
    database: str,
    *,
    users: int,
    days: tuple[int, ...] = (1, 7),
    marts_prefix: str | None = None,
    settings: Settings | None = None,
    target_path: Any = None,
) -> list[HistoryRun]:
    """Grow a world day by day and time one minute's ``dbt build`` on top of each ``days``.

    The world is generated and ingested through the real pipeline into ``database``
    (re-created); the vault is built (and the marts, under ``marts_prefix``, when given)
    after each day of backfill, so each measured run is a steady-state incremental run:
    +1 simulated minute, then ``dbt build`` of the vault with ``load_ts_from`` = the last
    run's bound (delta tests), then of the marts.
    """
    import json
    import time

    from generator import runner, simulation, state
    from generator.writer import MinioSink, ObjectWriter, minio_client
    from socialpulse.transform.marts import build_marts, centrality_snapshot
    from socialpulse.transform.project import run_dbt

    s = settings or get_settings()
    dsn = ensure_database(database, s, fresh=True)
    root = f"bench-history-{uuid.uuid4().hex[:8]}/"
    start = (datetime.now(UTC) - timedelta(days=max(days) + 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    gen = state.new_state(simulation.create_world(13, start, users))
    writer = ObjectWriter(MinioSink(minio_client(s), s.minio_bucket, root))
    env = {"POSTGRES_DB": database}

    def bound() -> str | None:
        with psycopg.connect(dsn) as conn:
            exists = conn.execute("SELECT to_regclass('staging.load_bounds')").fetchone()
            if not exists or exists[0] is None:
                return None
            row = conn.execute("SELECT max(load_ts_to)::text FROM staging.load_bounds").fetchone()
        return None if row is None else row[0]

    def build(*, timed: bool) -> tuple[float, float | None]:
        since = bound()
        started = time.perf_counter()
        run_dbt(
            ["build", "--vars", json.dumps({"load_ts_from": since})],
            env=env,
            target_path=target_path,
        )
        vault = time.perf_counter() - started
        marts = None
        if marts_prefix is not None:
            centrality_snapshot(s, dsn)
            marts = build_marts(
                s, prefix=marts_prefix, pg_database=database, target_path=target_path
            )
        return (vault, marts) if timed else (0.0, None)

    runs: list[HistoryRun] = []
    events = 0
    try:
        for day in range(1, max(days) + 1):
            stats = runner.backfill(gen, writer, 24 * 60)
            ingest_prefix(dsn, root + "events/", settings=s)
            events += stats.events
            build(timed=False)  # catch up with the day (not measured)
            if day in days:
                minute = runner.backfill(gen, writer, 1)
                ingest_prefix(dsn, root + "events/", settings=s)
                events += minute.events
                vault, marts = build(timed=True)
                runs.append(HistoryRun(day, events, minute.events, vault, marts))
    finally:
        writer.close()
        remove_prefix(root, settings=s)
    return runs


def print_history_runs(runs: list[HistoryRun]) -> None:
    """The table and the ratio (last / first) the benchmarks print."""
    print(f"{'history':>8} {'events':>11} {'new':>6} {'vault build':>12} {'marts build':>12}")
    for run in runs:
        marts = "-" if run.marts_seconds is None else f"{run.marts_seconds:10.1f} s"
        print(
            f"{run.days:>6} d {run.history_events:>11,} {run.new_events:>6,} "
            f"{run.vault_seconds:10.1f} s {marts:>12}"
        )
    if len(runs) >= 2:
        first, last = runs[0], runs[-1]
        print(
            f"ratio {last.days} d / {first.days} d: vault "
            f"{last.vault_seconds / first.vault_seconds:.2f}"
            + (
                f", marts {last.marts_seconds / first.marts_seconds:.2f}"
                if last.marts_seconds and first.marts_seconds
                else ""
            )
        )


@dataclass
class ScratchMarts:
    """A world built end to end beside the real one: its own PostgreSQL database, MinIO
    prefix, Neo4j labels and ClickHouse databases (``<prefix>marts``, ...)."""

    settings: Settings
    world: LoadedWorld
    prefix: str
    graph: Any  # neo4j_jobs.config.GraphJobConfig

    @property
    def marts_database(self) -> str:
        return f"{self.prefix}marts"

    def remove_objects(self) -> int:
        """Delete the world's minute files (the warehouse keeps what was loaded)."""
        return remove_prefix(self.world.prefix, settings=self.settings)

    def remove_graph(self) -> None:
        """Delete the world's nodes from Neo4j (the ranks are in its warehouse already)."""
        from neo4j import GraphDatabase

        from neo4j_jobs.graph import GraphStore

        s = self.settings
        auth = (s.neo4j_user, s.neo4j_password.get_secret_value())
        with GraphDatabase.driver(s.neo4j_uri, auth=auth) as driver:
            GraphStore(driver, self.graph).remove()

    def remove(self) -> None:
        """Drop the ClickHouse databases, the minute files and the Neo4j nodes."""
        from infra.stack.clickhouse import ClickHouseService
        from socialpulse.transform.marts import drop_marts_databases

        client = ClickHouseService(self.settings).client()
        try:
            drop_marts_databases(client, self.prefix)
        finally:
            client.close()
        self.remove_objects()
        self.remove_graph()


def build_scratch_marts(
    settings: Settings,
    *,
    database: str,
    prefix: str,
    users: int,
    minutes: int,
    seed: int,
    start: datetime,
    target_path: Any,
    on_step: Callable[[str], None] = lambda _: None,
) -> ScratchMarts:
    """Generate and ingest a world into ``database`` (re-created), build its vault (dbt run),
    rank its graph (labels prefixed), and build its marts under ``prefix`` from that vault.

    ``target_path``: dbt's target directory for these builds (never the project's own, which
    holds the manifest Airflow renders). ``on_step`` hears each step as it starts.
    """
    from infra.stack.clickhouse import ClickHouseService
    from neo4j_jobs.config import GraphJobConfig
    from neo4j_jobs.run import sync_and_rank
    from socialpulse.transform.marts import build_marts, centrality_snapshot, drop_marts_databases
    from socialpulse.transform.project import run_dbt

    on_step(f"generate and ingest {users:,} users x {minutes:,} minutes into {database}")
    dsn = ensure_database(database, settings, fresh=True)
    world = generate_and_ingest(
        dsn, users=users, minutes=minutes, seed=seed, start=start, settings=settings,
        prefix=f"{prefix.rstrip('_')}-{uuid.uuid4().hex[:10]}/",
    )  # fmt: skip
    on_step(f"{world.events:,} events in {world.files:,} files: build the vault")
    run_dbt(["run"], env={"POSTGRES_DB": database}, target_path=target_path)
    on_step("rank the graph")
    graph = GraphJobConfig(dsn=dsn, label_prefix=f"S{uuid.uuid4().hex[:8]}_")
    sync_and_rank(settings, graph, full=True)
    centrality_snapshot(settings, dsn)
    on_step(f"build the marts into {prefix}marts")
    scratch = ScratchMarts(settings, world, prefix, graph)
    client = ClickHouseService(settings).client()
    try:
        drop_marts_databases(client, prefix)
    finally:
        client.close()
    try:
        build_marts(
            settings, full_refresh=True, prefix=prefix, pg_database=database,
            target_path=target_path, command="run",
        )  # fmt: skip
    except BaseException:
        scratch.remove()
        raise
    return scratch
