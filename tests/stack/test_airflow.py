"""Airflow standalone from the native stack: a DAG run by `airflow dags test` and via REST."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
import pytest
from airflow_helpers import scheduler_kept_off
from pydantic import SecretStr

from infra.stack.base import NativeService
from infra.stack.registry import SERVICE_CLASSES
from socialpulse.airflow_api import AirflowApi, AirflowApiError
from socialpulse.settings import Settings

pytestmark = pytest.mark.stack

DAG_ID = "stack_healthcheck"
CHECK_TASKS = {"check_postgres", "check_minio", "check_clickhouse", "check_neo4j"}


@pytest.fixture(scope="module")
def whole_stack(started_service: Callable[[str], NativeService]) -> None:
    for name in SERVICE_CLASSES:
        started_service(name)


def _metadata_task_states(settings: Settings, run_id: str) -> dict[str, str]:
    with psycopg.connect(settings.postgres_dsn(settings.airflow_db)) as conn:
        rows = conn.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = %s AND run_id = %s",
            (DAG_ID, run_id),
        ).fetchall()
    return dict(rows)


def test_dags_test_runs_the_healthcheck_in_one_process(
    whole_stack: None, settings: Settings
) -> None:
    logical_date = datetime.now(UTC).replace(microsecond=0).isoformat()
    with scheduler_kept_off(settings, DAG_ID):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "socialpulse.cli",
                "airflow",
                "dags",
                "test",
                DAG_ID,
                logical_date,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with psycopg.connect(settings.postgres_dsn(settings.airflow_db)) as conn:
        row = conn.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id = %s AND logical_date = %s",
            (DAG_ID, logical_date),
        ).fetchone()
    assert row is not None
    assert row[1] == "success"
    assert _metadata_task_states(settings, row[0]) == dict.fromkeys(CHECK_TASKS, "success")


def test_rest_api_trigger_runs_the_healthcheck_on_the_scheduler(
    whole_stack: None, settings: Settings
) -> None:
    api = AirflowApi(settings)
    run_id, state = api.run_dag(DAG_ID, timeout_s=240)
    assert state == "success", api.task_states(DAG_ID, run_id)
    assert api.task_states(DAG_ID, run_id) == dict.fromkeys(CHECK_TASKS, "success")


def test_rest_api_refuses_a_wrong_password(whole_stack: None, settings: Settings) -> None:
    wrong = settings.model_copy(update={"airflow_admin_password": SecretStr("wrong")})
    with pytest.raises(AirflowApiError, match="cannot log in"):
        AirflowApi(wrong)
