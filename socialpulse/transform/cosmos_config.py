"""Cosmos configuration of the ``transform`` DAG, built once at import (module level).

* Rendering: from ``dbt_project/target/manifest.json`` (``LoadMode.DBT_MANIFEST``), written
  by ``python -m socialpulse.transform.manifest``; no ``dbt ls`` while Airflow parses DAGs.
* Profiles: ``PostgresUserPasswordProfileMapping`` on the Airflow connection
  ``socialpulse_postgres`` for the vault and ``ClickhouseUserPasswordProfileMapping`` on
  ``socialpulse_clickhouse`` for the marts (both built by
  ``infra.stack.airflow.connections_env`` from the same settings as everything else), so
  the credentials live in Airflow, not in dbt; the project's ``profiles.yml`` (env_var
  based) serves the dbt CLI, tests and docs.
* Two task groups from the one manifest, selected by path: ``vault`` (Postgres) and
  ``marts`` (ClickHouse), with the graph sidecar between them.
* Execution: ``ExecutionMode.LOCAL`` with ``InvocationMode.DBT_RUNNER``: dbt runs in the
  worker's own interpreter (the project venv has dbt-core + adapters), about twice as
  fast per task as a subprocess.
* Tests: ``TestBehavior.BUILD``: one task per model runs ``dbt build`` for it (model, then
  its tests), so the graph shows one node per model and a failing test stops its children.
"""

from __future__ import annotations

import os

from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from cosmos.profiles import (
    ClickhouseUserPasswordProfileMapping,
    PostgresUserPasswordProfileMapping,
)

from socialpulse.transform.project import DBT_EXECUTABLE, DBT_PROJECT_DIR, MANIFEST_PATH

#: Airflow connections of the warehouse and the marts (infra/stack/airflow.py).
POSTGRES_CONN_ID = "socialpulse_postgres"
CLICKHOUSE_CONN_ID = "socialpulse_clickhouse"
#: The vault layers (Postgres target) and the marts (ClickHouse target), selected by path.
VAULT_SELECT = ["path:models/staging", "path:models/raw_vault", "path:models/business_vault"]
MARTS_SELECT = ["path:models/marts"]
_DBT_THREADS = int(os.environ.get("DBT_THREADS", "1"))

PROJECT_CONFIG = ProjectConfig(
    dbt_project_path=DBT_PROJECT_DIR,
    manifest_path=MANIFEST_PATH,
    project_name="socialpulse",
    # No dbt hub packages (offline): nothing to install at run time.
    install_dbt_deps=False,
)

PG_PROFILE_CONFIG = ProfileConfig(
    profile_name="socialpulse",
    target_name="pg",
    profile_mapping=PostgresUserPasswordProfileMapping(
        conn_id=POSTGRES_CONN_ID,
        profile_args={"schema": "staging", "threads": _DBT_THREADS},
    ),
)

CH_PROFILE_CONFIG = ProfileConfig(
    profile_name="socialpulse",
    target_name="ch",
    profile_mapping=ClickhouseUserPasswordProfileMapping(
        conn_id=CLICKHOUSE_CONN_ID,
        # the connection's port is ClickHouse's HTTP port
        profile_args={"schema": "marts", "driver": "http", "threads": _DBT_THREADS},
    ),
)

#: ``local`` (default): one in-process dbt invocation per model task (~5 s each on 2 busy
#: cores, so a full vault run is minutes of per-task overhead; retries are per model).
#: ``watcher``: one ``dbt build`` in a producer task and one sensor per model that turns
#: green/red as dbt finishes it; much less overhead, but its sensors wait on the producer,
#: so it cannot run under the sequential ``airflow dags test`` (checked: it deadlocks).
EXECUTION_MODE = ExecutionMode(os.environ.get("SOCIALPULSE_DBT_EXECUTION_MODE", "local"))

EXECUTION_CONFIG = ExecutionConfig(
    execution_mode=EXECUTION_MODE,
    invocation_mode=InvocationMode.DBT_RUNNER,
    dbt_executable_path=str(DBT_EXECUTABLE),
)


def _render_config(select: list[str]) -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select,
        # watcher: the producer's `dbt build` runs each model's tests right after it; local:
        # one `dbt build --select <model>` per task (model, then its tests).
        test_behavior=(
            TestBehavior.AFTER_EACH
            if EXECUTION_MODE is ExecutionMode.WATCHER
            else TestBehavior.BUILD
        ),
        # One Asset per model would flood the Asset list; the DAG publishes what matters.
        emit_datasets=False,
    )


VAULT_RENDER_CONFIG = _render_config(VAULT_SELECT)
MARTS_RENDER_CONFIG = _render_config(MARTS_SELECT)

#: Passed to every dbt operator of both groups.
OPERATOR_ARGS: dict[str, object] = {
    "install_deps": False,
    # A full refresh is a deliberate, manual operation (it rebuilds insert-only history).
    "full_refresh": False,
}


def dbt_task_group(
    group_id: str, profile_config: ProfileConfig, render_config: RenderConfig
) -> DbtTaskGroup:
    """One Cosmos task group of the project (call inside a DAG): a task per selected model."""
    return DbtTaskGroup(
        group_id=group_id,
        project_config=PROJECT_CONFIG,
        profile_config=profile_config,
        execution_config=EXECUTION_CONFIG,
        render_config=render_config,
        operator_args=OPERATOR_ARGS,
    )
