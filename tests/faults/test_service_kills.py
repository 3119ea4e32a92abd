"""SIGKILL each service in the middle of an ``ingest_events`` run and of a ``transform`` run,
start it again through the stack manager, let the scheduler recover by itself (nobody clears a
task), and compare raw, vault and marts with an undisturbed build of the same files.

The recovery time of every kill is printed (`pytest -s` shows it) and recorded in the test
report; no assertion is made on it (times are a benchmark's business)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from minio.commonconfig import CopySource
from support.faults import (
    TARGETS,
    Recovery,
    caught_up,
    ingested,
    kill,
    restart,
    table_fingerprints,
    wait_until,
)
from support.live import reset_warehouse

from generator import runner, simulation, state
from generator.writer import MinioSink, ObjectWriter, minio_client
from socialpulse.airflow_api import AirflowApi
from socialpulse.settings import Settings
from socialpulse.transform.cosmos_config import VAULT_SELECT
from socialpulse.transform.marts import build_marts, centrality_snapshot, drop_marts_databases
from socialpulse.transform.project import run_dbt
from socialpulse.transform.world import ensure_database, ingest_prefix, remove_prefix

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.faults]

SOURCE = "fault-source/"
USERS, MINUTES = 150, 60
#: Minutes delivered before the first kill (the first transform run builds them in full).
FIRST = 30
REFERENCE_DB = "socialpulse_fault_reference"
REFERENCE_PREFIX = "fref_"
#: Where a kill hurts most: the stage or task that is using the services at that moment.
INGEST_STAGES = {"read", "validate", "clean", "load"}
TRANSFORM_TASKS = {
    "postgres": "vault.dbt_producer_watcher",
    "minio": "vault.dbt_producer_watcher",
    "clickhouse": "marts.dbt_producer_watcher",
    "neo4j": "graph_sync_and_rank",
    "airflow-scheduler": "vault.dbt_producer_watcher",
}
#: Load times differ between two builds of the same data (``as_of`` is the graph summary's
#: snapshot bound); Neo4j's results are not rebuilt in the reference (it has no graph runs).
LOAD_TIME_COLUMNS = {"load_ts", "loaded_at", "vault_load_ts", "as_of"}
GRAPH_COLUMNS = ("pagerank", "centrality", "depth")


@dataclass
class Disturbed:
    settings: Settings
    api: AirflowApi
    keys: list[str]
    delivered: list[str] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)

    def deliver(self, keys: list[str]) -> None:
        """Copy the next files to where ingestion looks (events/...), as a producer would."""
        client = minio_client(self.settings)
        bucket = self.settings.minio_bucket
        for key in keys:
            client.copy_object(bucket, key.removeprefix(SOURCE), CopySource(bucket, key))
        self.delivered.extend(k.removeprefix(SOURCE) for k in keys)

    def running(self, dag_id: str, tasks: set[str], timeout_s: float = 600) -> str:
        """Wait until a run of ``dag_id`` has one of ``tasks`` running; its run id."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            runs = self.api._call(
                "GET", f"/dags/{dag_id}/dagRuns",
                params={"state": ["running"], "order_by": "-start_date", "limit": 1},
            )["dag_runs"]  # fmt: skip
            for run in runs:
                states = self.api.task_states(dag_id, run["dag_run_id"])
                if any(states.get(t) == "running" for t in tasks):
                    return str(run["dag_run_id"])
            time.sleep(0.5)
        raise AssertionError(f"no {dag_id} run reached {sorted(tasks)} in {timeout_s:.0f} s")

    def kill_during(
        self, target: str, dag_id: str, tasks: set[str], recovered: Callable[[], bool]
    ) -> Recovery:
        """Kill ``target`` while ``dag_id`` runs one of ``tasks``, start it again; the seconds
        until ``recovered()`` holds."""
        run_id = self.running(dag_id, tasks)
        killed_at = time.monotonic()
        kill(self.settings, target)
        restart(self.settings, target)
        wait_until(recovered, 1200, f"recovery from {target}")
        recovery = Recovery(target, dag_id, run_id, time.monotonic() - killed_at)
        self.recoveries.append(recovery)
        print(f"killed {target} during {dag_id} {run_id}: recovered in {recovery.seconds:.0f} s")
        return recovery


@pytest.fixture(scope="module")
def disturbed(
    started_service: Callable[[str], Any], settings: Settings, clickhouse: Any
) -> Iterator[Disturbed]:
    for name in ("postgres", "minio", "neo4j", "airflow"):
        started_service(name)
    api = AirflowApi(settings)
    for dag_id in ("ingest_events", "transform"):
        api.wait_for_dag(dag_id)
        api.set_paused(dag_id, True)
        # a run left over by an interrupted session would hold max_active_runs
        api.fail_unfinished_runs(dag_id)
    reset_warehouse(settings, clickhouse.client())
    remove_prefix("events/", settings=settings)
    remove_prefix(SOURCE, settings=settings)
    client = minio_client(settings)
    start = (datetime.now(UTC) - timedelta(minutes=MINUTES + 30)).replace(second=0, microsecond=0)
    gen = state.new_state(simulation.create_world(41, start, USERS))
    writer = ObjectWriter(MinioSink(client, settings.minio_bucket, SOURCE))
    try:
        runner.backfill(gen, writer, MINUTES, dirty_rate=0.02)
    finally:
        writer.close()
    keys = sorted(
        str(o.object_name)
        for o in client.list_objects(
            settings.minio_bucket, prefix=SOURCE + "events/", recursive=True
        )
    )
    for dag_id in ("ingest_events", "transform"):
        api.unpause(dag_id)
    world = Disturbed(settings, api, keys)
    world.deliver(keys[:FIRST])
    wait_until(lambda: caught_up(settings, world.delivered), 1800, "the first delivery")
    yield world
    for dag_id in ("ingest_events", "transform"):
        api.set_paused(dag_id, True)
        api.fail_unfinished_runs(dag_id)
    remove_prefix("events/", settings=settings)
    remove_prefix(SOURCE, settings=settings)


@pytest.fixture(scope="module")
def kills(disturbed: Disturbed, settings: Settings) -> list[Recovery]:
    """Each target killed in turn: during an ingestion run of a new batch of files, then during
    the transform run that the recovered ingestion triggers."""
    rest = disturbed.keys[FIRST:]
    size = -(-len(rest) // len(TARGETS))  # ceiling: every file is delivered
    for n, target in enumerate(TARGETS):
        disturbed.deliver(rest[n * size : (n + 1) * size])
        disturbed.kill_during(
            target, "ingest_events", INGEST_STAGES,
            lambda: ingested(settings, disturbed.delivered),
        )  # fmt: skip
        disturbed.kill_during(
            target, "transform", {TRANSFORM_TASKS[target]},
            lambda: caught_up(settings, disturbed.delivered),
        )  # fmt: skip
    return disturbed.recoveries


@pytest.fixture(scope="module")
def reference(disturbed: Disturbed, settings: Settings, clickhouse: Any) -> Iterator[str]:
    """The same files loaded and built once, undisturbed, in a database of their own."""
    dsn = ensure_database(REFERENCE_DB, settings, fresh=True)
    ingest_prefix(dsn, SOURCE + "events/", settings=settings)
    run_dbt(["build", "--select", *VAULT_SELECT], env={"POSTGRES_DB": REFERENCE_DB})
    centrality_snapshot(settings, dsn)
    drop_marts_databases(clickhouse.client(), REFERENCE_PREFIX)
    build_marts(settings, prefix=REFERENCE_PREFIX, pg_database=REFERENCE_DB)
    yield dsn
    drop_marts_databases(clickhouse.client(), REFERENCE_PREFIX)


def test_every_kill_was_recovered_by_the_pipeline_itself(kills: list[Recovery]) -> None:
    assert {(r.target, r.dag) for r in kills} == {
        (t, d) for t in TARGETS for d in ("ingest_events", "transform")
    }
    for recovery in kills:
        assert recovery.seconds > 0


def test_raw_holds_every_valid_event_once_as_the_undisturbed_build_does(
    kills: list[Recovery], reference: str, settings: Settings
) -> None:
    sql = "SELECT event_id, event_hash FROM raw.events"
    with psycopg.connect(settings.warehouse_dsn) as live, psycopg.connect(reference) as ref:
        disturbed_events = live.execute(sql).fetchall()
        reference_events = ref.execute(sql).fetchall()
        manifests_reconcile = live.execute(
            "SELECT count(*) FROM raw.ingest_manifest "
            "WHERE rows_read <> rows_loaded + rows_rejected + rows_duplicate"
        ).fetchone()
    assert len(disturbed_events) == len(set(disturbed_events))  # nothing twice
    assert set(disturbed_events) == set(reference_events)  # nothing lost
    assert manifests_reconcile == (0,)


def test_the_vault_equals_the_undisturbed_build(
    kills: list[Recovery], reference: str, settings: Settings
) -> None:
    schemas = ("raw_vault", "business_vault")
    disturbed_vault = table_fingerprints(settings.warehouse_dsn, schemas, LOAD_TIME_COLUMNS)
    reference_vault = table_fingerprints(reference, schemas, LOAD_TIME_COLUMNS)
    assert disturbed_vault.keys() == reference_vault.keys()
    different = {t for t in disturbed_vault if disturbed_vault[t] != reference_vault[t]}
    assert not different, {t: (disturbed_vault[t], reference_vault[t]) for t in different}


def _mart_digest(client: Any, database: str, table: str) -> tuple[int, int]:
    columns = [
        name
        for (name,) in client.query(
            "SELECT name FROM system.columns WHERE database = {d:String} AND table = {t:String} "
            "ORDER BY position",
            parameters={"d": database, "t": table},
        ).result_rows
        if name not in LOAD_TIME_COLUMNS and not any(g in name for g in GRAPH_COLUMNS)
    ]
    row = ", ".join(f"`{c}`" for c in columns)
    # as text: a hash of a NULL argument is NULL, and a column that is NULL in every row
    # would make the whole digest NULL
    count, digest = client.query(
        f"SELECT count(), groupBitXor(cityHash64(toString(tuple({row})))) FROM {database}.`{table}`"
    ).result_rows[0]
    return int(count), int(digest)


def test_the_marts_equal_the_undisturbed_build(
    kills: list[Recovery], reference: str, clickhouse: Any
) -> None:
    client = clickhouse.client()
    tables = [
        name
        for (name,) in client.query(
            "SELECT name FROM system.tables WHERE database = 'marts' AND name LIKE 'mart_%' "
            "AND name != 'mart_friendship_depth' ORDER BY name"
        ).result_rows
    ]
    assert tables
    different = {
        t: (_mart_digest(client, "marts", t), _mart_digest(client, f"{REFERENCE_PREFIX}marts", t))
        for t in tables
        if _mart_digest(client, "marts", t) != _mart_digest(client, f"{REFERENCE_PREFIX}marts", t)
    }
    assert not different, different
