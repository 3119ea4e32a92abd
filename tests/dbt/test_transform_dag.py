"""The ``transform`` DAG as Airflow parses it: one node per dbt model (started and ended in the
triggerer), one dbt build per group, the graph sidecar between the groups; and a node that is
cleared really builds its model on a worker (the Airflow connection's profile, the run's
snapshot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from conftest import TEST_DB, VaultWorld

from infra.stack.airflow import airflow_env
from socialpulse.settings import Settings
from socialpulse.transform.manifest import build_manifest

pytestmark = [pytest.mark.stack, pytest.mark.slow]

_DUMP_DAG = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder="airflow/dags/transform.py")
dag = bag.get_dag("transform")
def producer(task):
    return {"select": task.select, "tests_per_model": task.tests_per_model,
            "env": task.env, "class": type(task).__name__,
            "hooks": [task._pre_execute_hook is not None, task._post_execute_hook is not None]}
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "schedule": repr(dag.timetable),
    "macros": sorted(dag.user_defined_macros),
    "tasks": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
    "types": {t.task_id: type(t).__name__ for t in dag.tasks},
    "trigger_rules": {t.task_id: getattr(t.trigger_rule, "value", t.trigger_rule) for t in dag.tasks},
    "from_trigger": {t.task_id: [t.start_from_trigger, t.retries] for t in dag.tasks},
    "producers": {t.task_id: producer(t) for t in dag.tasks if t.task_id.endswith(".dbt_producer_watcher")},
}))
"""


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    path = build_manifest()
    return dict(json.loads(path.read_text()))


@pytest.fixture(scope="module")
def rendered(
    manifest: dict[str, Any], settings: Settings, started_service: Callable[[str], Any]
) -> dict[str, Any]:
    # DagBag reads the `dag` table: the metadata DB must be migrated (the standalone does it).
    started_service("airflow")
    env = {**os.environ, **airflow_env(settings)}
    proc = subprocess.run(
        [sys.executable, "-c", _DUMP_DAG],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _models(manifest: dict[str, Any], *folders: str) -> set[str]:
    return {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["original_file_path"].split("/")[1] in folders
    }


def test_every_model_is_one_node_started_and_ended_in_the_triggerer(
    manifest: dict[str, Any], rendered: dict[str, Any]
) -> None:
    assert rendered["errors"] == {}
    tasks, types = rendered["tasks"], rendered["types"]
    groups = {
        "vault": _models(manifest, "staging", "raw_vault", "business_vault"),
        "marts": _models(manifest, "landing", "marts"),
    }
    for group, models in groups.items():
        nodes = {t for t in tasks if t.startswith(f"{group}.") and types[t] == "DbtModelNode"}
        assert nodes == {f"{group}.{m}" for m in models}
        for node in nodes:
            # no worker to start or to resume; a failed node retries once, on a worker
            assert rendered["from_trigger"][node] == [True, 1], node
    # one dbt build per group, and nothing else runs dbt
    assert {t for t, kind in types.items() if kind != "DbtModelNode"} == {
        "vault.dbt_producer_watcher", "vault.dbt_producer_watcher_done",
        "marts.dbt_producer_watcher", "marts.dbt_producer_watcher_done",
        "graph_sync_and_rank", "graph_done",
    }  # fmt: skip
    assert "socialpulse_raw_events" in rendered["schedule"]


def test_the_nodes_follow_the_data_and_the_marts_follow_the_vault_and_the_graph(
    rendered: dict[str, Any],
) -> None:
    tasks, rules = rendered["tasks"], rendered["trigger_rules"]
    assert "vault.stg_events__user_registered" in tasks["vault.hub_user"]
    assert tasks["vault.sat_user_profile"] == ["vault.stg_events__user_profile_updated"]
    assert {"vault.hub_user", "vault.sat_user_profile"} <= set(tasks["vault.pit_user"])
    # the graph reads the whole vault; the marts run whatever the graph did ...
    assert "vault.pit_user" in tasks["graph_sync_and_rank"]
    assert tasks["graph_done"] == ["graph_sync_and_rank"]
    assert rules["graph_done"] == "all_done"
    # ... but never on a failed vault: the marts' build waits for every vault leaf too
    producer = set(tasks["marts.dbt_producer_watcher"])
    assert {"graph_done", "vault.pit_user", "vault.dbt_producer_watcher_done"} <= producer
    assert rules["marts.dbt_producer_watcher"] == "all_success"
    # a build that reported a failed model does not block what follows once it is cleared
    assert rules["vault.dbt_producer_watcher_done"] == "all_done"


def test_each_group_builds_once_with_the_runs_snapshot_and_tests_attached_as_dbt_does(
    manifest: dict[str, Any], rendered: dict[str, Any]
) -> None:
    producers = rendered["producers"]
    assert rendered["macros"] == ["snapshot_env"]
    for producer in producers.values():
        assert producer["env"] == "{{ snapshot_env(run_id) }}"
        assert producer["class"] == "QueuedProducer"
    # the marts' build records the centrality it uses before, and completes the snapshot after
    assert producers["marts.dbt_producer_watcher"]["hooks"] == [True, True]
    # every test of a vault model is watched by exactly one node: the model dbt attaches it to
    attached = {
        uid: n["attached_node"]
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "test" and n.get("attached_node")
    }
    per_model = producers["vault.dbt_producer_watcher"]["tests_per_model"]
    watched = [test for tests in per_model.values() for test in tests]
    assert len(watched) == len(set(watched))
    for model, tests in per_model.items():
        assert all(attached.get(test, model) == model for test in tests)
    relationship = next(t for t in watched if t.startswith("test.socialpulse.relationships_link"))
    assert attached[relationship].startswith("model.socialpulse.link_")


def test_a_cleared_node_builds_its_model_on_a_worker_with_the_runs_snapshot(
    vault_world: VaultWorld,
    manifest: dict[str, Any],
    started_service: Callable[[str], Any],
    settings: Settings,
) -> None:
    started_service("airflow")  # the metadata database `tasks test` records into
    # The Airflow connection socialpulse_postgres is built from POSTGRES_DB: the test database.
    test_settings = settings.model_copy(update={"postgres_db": TEST_DB})
    env = {**os.environ, **airflow_env(test_settings), "POSTGRES_DB": TEST_DB}
    proc = subprocess.run(
        [sys.executable, "-m", "airflow", "tasks", "test", "transform", "vault.sat_user_profile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "re-running sat_user_profile on a worker" in out
    assert "sat_user_profile" in out
    assert "ERROR=0" in out
    # the run's snapshot was taken for the build (and bounds what it read)
    with psycopg.connect(vault_world.dsn) as conn:
        taken = conn.execute(
            "SELECT count(*) FROM raw.load_snapshots WHERE consumer = 'transform'"
        ).fetchone()
    assert taken is not None
    assert taken[0] >= 1
