"""Driving the live pipeline of the test stack: its real scheduler runs the DAGs users run.

Everything here uses the test stack's own warehouse database (the one its Airflow connections
point at), its bucket and its ``marts``: :func:`reset_warehouse` empties them first, so a test
sees only what it loads. Data is loaded with the real ingestion pipeline while the DAGs run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from socialpulse.airflow_api import AirflowApi
from socialpulse.settings import Settings
from socialpulse.transform.producer import STATUSES_KEY
from socialpulse.transform.world import ingest_prefix

#: A small world: enough for every vault model to get rows, small enough to build in a minute.
USERS = 120
MINUTES = 90
#: The last minutes are held back and arrive while a transform run is under way.
LATE_MINUTES = 30
PREFIX = "live-test/"
WAREHOUSE_SCHEMAS = ("staging", "raw_vault", "business_vault", "graph")
CLICKHOUSE_DATABASES = ("marts", "landing", *WAREHOUSE_SCHEMAS)
RAW_TABLES = "raw.events, raw.quarantine, raw.known_users, raw.ingest_manifest, raw.load_snapshots"


def reset_warehouse(settings: Settings, clickhouse_client: Any) -> None:
    """Empty the test stack's raw tables, vault and marts (never a user's: see tests/conftest)."""
    from socialpulse.ingestion.migrate import migrate

    migrate(settings.warehouse_dsn)
    with psycopg.connect(settings.warehouse_dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {', '.join(WAREHOUSE_SCHEMAS)} CASCADE")
        conn.execute(f"TRUNCATE {RAW_TABLES} RESTART IDENTITY")
    for database in CLICKHOUSE_DATABASES:
        clickhouse_client.command(f"DROP DATABASE IF EXISTS {database} SYNC")


@dataclass
class LiveWarehouse:
    settings: Settings
    api: AirflowApi
    keys: list[str] = field(default_factory=list)

    @property
    def dsn(self) -> str:
        return self.settings.warehouse_dsn

    def generate(self, *, start: datetime) -> None:
        """Write the world's minute files under PREFIX (nothing loaded yet)."""
        from generator import runner, simulation, state
        from generator.writer import MinioSink, ObjectWriter, minio_client

        client = minio_client(self.settings)
        gen = state.new_state(simulation.create_world(29, start, USERS))
        writer = ObjectWriter(MinioSink(client, self.settings.minio_bucket, PREFIX))
        try:
            runner.backfill(gen, writer, MINUTES)
        finally:
            writer.close()
        self.keys = sorted(
            str(o.object_name)
            for o in client.list_objects(
                self.settings.minio_bucket, prefix=PREFIX + "events/", recursive=True
            )
        )

    def load(self, skip: Callable[[str], bool] | None = None) -> int:
        return ingest_prefix(self.dsn, PREFIX + "events/", settings=self.settings, skip=skip)

    def late(self, key: str) -> bool:
        """The last LATE_MINUTES files: held back to arrive during a run."""
        return key >= self.keys[-LATE_MINUTES]

    def trigger(self) -> str:
        return self.api.trigger("transform")

    def wait(self, run_id: str, timeout_s: float = 1200) -> str:
        return self.api.wait_for_run("transform", run_id, timeout_s=timeout_s)

    def task_states(self, run_id: str) -> dict[str, str | None]:
        return self.api.task_states("transform", run_id)

    def wait_for_task(self, run_id: str, task_id: str, states: set[str], timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.task_states(run_id).get(task_id)
            if state in states:
                return state
            time.sleep(2)
        raise AssertionError(f"{task_id} never reached {states} in run {run_id}")

    def producer_statuses(self, run_id: str, group: str) -> dict[str, str]:
        """model unique_id -> the status dbt reported, as the group's producer published it."""
        task = f"{group}.dbt_producer_watcher"
        path = f"/dags/transform/dagRuns/{run_id}/taskInstances/{task}/xcomEntries/{STATUSES_KEY}"
        published = self.api._call("GET", path)["value"]
        statuses = {}
        for key, value in published.items():
            if key.startswith("model__") and not key.endswith("_tests_status"):
                # model names may hold "__" themselves (stg_events__user_actions): only the
                # first two separators stand for the dots of "model.<project>.<name>"
                unique_id = ".".join(key.removesuffix("_status").split("__", 2))
                statuses[unique_id] = value["status"] if isinstance(value, dict) else value
        return statuses

    def snapshot(self, run_id: str) -> tuple[datetime | None, datetime, datetime | None]:
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute(
                "SELECT load_ts_from, load_ts_to, completed_at FROM raw.load_snapshots "
                "WHERE consumer = 'transform' AND run_id = %s",
                (run_id,),
            ).fetchone()
        assert row is not None, f"run {run_id} took no snapshot"
        return row[0], row[1], row[2]

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql)
