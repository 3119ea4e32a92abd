"""The ``transform`` DAG: Cosmos renders one task per vault model from the dbt manifest,
and a rendered task really builds its model (in-process dbt, Airflow connection profile)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from conftest import TEST_DB, VaultWorld

from infra.stack.airflow import airflow_env
from socialpulse.settings import Settings
from socialpulse.transform.manifest import build_manifest

pytestmark = [pytest.mark.stack, pytest.mark.slow]

_DUMP_DAG = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder="airflow/dags/transform.py")
dag = bag.get_dag("transform")
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "schedule": repr(dag.timetable) if dag else None,
    "tasks": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} if dag else {},
    "trigger_rules": {t.task_id: getattr(t.trigger_rule, "value", t.trigger_rule) for t in dag.tasks} if dag else {},
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
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_transform_renders_one_build_task_per_vault_model(
    manifest: dict[str, Any], rendered: dict[str, Any]
) -> None:
    assert rendered["errors"] == {}
    models = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
        and n["original_file_path"].split("/")[1] in ("staging", "raw_vault", "business_vault")
    }
    tasks = rendered["tasks"]
    vault_tasks = {f"vault.{m}_model_build" for m in models}
    assert {t for t in tasks if not t.startswith("marts.")} == vault_tasks | {
        "graph_sync_and_rank",
        "centrality_snapshot",
    }
    # The graph sidecar waits for the whole vault (it reads hubs and effectivity satellites).
    assert "vault.pit_user_model_build" in tasks["graph_sync_and_rank"]
    assert set(tasks["graph_sync_and_rank"]) <= vault_tasks
    # The graph follows the data: staging -> hub and satellites (in parallel) -> PIT.
    assert "vault.stg_events__user_registered_model_build" in tasks["vault.hub_user_model_build"]
    assert tasks["vault.sat_user_profile_model_build"] == [
        "vault.stg_events__user_profile_updated_model_build"
    ]
    assert {"vault.hub_user_model_build", "vault.sat_user_profile_model_build"} <= set(
        tasks["vault.pit_user_model_build"]
    )
    # Scheduled on the Asset the ingestion DAG publishes.
    assert "socialpulse_raw_events" in rendered["schedule"]


def test_marts_follow_the_vault_and_the_last_known_centrality(
    manifest: dict[str, Any], rendered: dict[str, Any]
) -> None:
    marts = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")
    }
    assert len(marts) >= 10
    tasks = rendered["tasks"]
    assert {t for t in tasks if t.startswith("marts.")} == {f"marts.{m}_model_build" for m in marts}
    # all_done: the snapshot (and so the marts) run even when the graph task failed ...
    assert rendered["trigger_rules"]["centrality_snapshot"] == "all_done"
    assert tasks["centrality_snapshot"] == ["graph_sync_and_rank"]
    # ... but a mart never runs on a failed vault: its roots wait for the vault's leaves too.
    root = tasks["marts.mart_post_virality_model_build"]
    assert "centrality_snapshot" in root
    assert "vault.pit_user_model_build" in root
    assert all(
        rendered["trigger_rules"][t] == "all_success" for t in tasks if t.startswith("marts.")
    )
    # marts on marts: the campaign roll-up reads the ad mart, profiles read post reshares
    assert tasks["marts.mart_campaign_performance_daily_model_build"] == [
        "marts.mart_ad_performance_daily_model_build"
    ]
    assert tasks["marts.mart_user_profile_model_build"] == ["marts.mart_post_virality_model_build"]


def test_a_cosmos_task_builds_its_model_against_the_warehouse(
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
        [sys.executable, "-m", "airflow", "tasks", "test", "transform",
         "vault.sat_user_profile_model_build"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "sat_user_profile" in out
    assert "ERROR=0" in out
