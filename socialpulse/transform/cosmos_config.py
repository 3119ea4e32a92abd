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
* Execution: ``ExecutionMode.WATCHER``: one in-process ``dbt build`` per group (its producer
  task, :class:`~socialpulse.transform.producer.QueuedProducer`) pays dbt's start-up once;
  each model is one node that follows its result (:mod:`socialpulse.transform.watcher`:
  started and ended in the triggerer, no worker).
* Snapshot: every dbt invocation gets the run's ``load_ts_from`` / ``load_ts_to``
  (:mod:`socialpulse.transform.snapshot`), pulled from the ``snapshot`` task's XCom.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow.sdk import TriggerRule
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_DONE_TASK_ID,
    PRODUCER_WATCHER_TASK_ID,
    DbtResourceType,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    TestBehavior,
)
from cosmos.operators.local import DbtBuildLocalOperator
from cosmos.profiles import (
    ClickhouseUserPasswordProfileMapping,
    PostgresUserPasswordProfileMapping,
)

from socialpulse.transform.producer import QueuedProducer
from socialpulse.transform.project import DBT_EXECUTABLE, DBT_PROJECT_DIR, MANIFEST_PATH
from socialpulse.transform.snapshot import run_env
from socialpulse.transform.watcher import DbtModelNode, attached_tests, model_node_converter

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context

#: Airflow connections of the warehouse and the marts (infra/stack/airflow.py).
POSTGRES_CONN_ID = "socialpulse_postgres"
CLICKHOUSE_CONN_ID = "socialpulse_clickhouse"
#: The vault layers (Postgres target) and, on ClickHouse, the landing copies of the big vault
#: tables and the marts built from them, selected by path.
VAULT_SELECT = ["path:models/staging", "path:models/raw_vault", "path:models/business_vault"]
MARTS_SELECT = ["path:models/landing", "path:models/marts"]
#: The run's snapshot as dbt's environment: the DAG's ``snapshot_env`` macro
#: (snapshot.run_env), rendered natively into a dict. Not vars: they would change every run
#: and cost a full parse of the project each time.
SNAPSHOT_ENV = "{{ snapshot_env(run_id) }}"
_DBT_THREADS = int(os.environ.get("DBT_THREADS", "4"))

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

EXECUTION_CONFIG = ExecutionConfig(
    execution_mode=ExecutionMode.WATCHER,
    invocation_mode=InvocationMode.DBT_RUNNER,
    dbt_executable_path=str(DBT_EXECUTABLE),
)

#: Passed to the producer of both groups (and to a model's re-run on a worker).
OPERATOR_ARGS: dict[str, Any] = {
    "install_deps": False,
    # A full refresh is a deliberate, manual operation (it rebuilds insert-only history).
    "full_refresh": False,
    "env": SNAPSHOT_ENV,
    # One dbt build per run: a retry would build again from scratch with no watchers left;
    # the next run (same snapshot start) covers a failed run's rows.
    "retries": 0,
}


def _rerun_factory(profile_config: ProfileConfig) -> Any:
    """How a cleared model node re-runs its model: ``dbt build --select <model>``."""

    def build(node: DbtModelNode, context: Context) -> BaseOperator:
        return DbtBuildLocalOperator(
            task_id=f"{node.task_id}__rerun",
            project_dir=str(DBT_PROJECT_DIR),
            profile_config=profile_config,
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=str(DBT_EXECUTABLE),
            select=[node.model_name],
            install_deps=False,
            # built outside the DAG: emitting datasets needs one (the nodes emit none either)
            emit_datasets=False,
            env=run_env(str(context["run_id"])),
        )

    return build


def _render_config(select: list[str], profile_config: ProfileConfig) -> RenderConfig:
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        select=select,
        # The producer's `dbt build` runs each model's tests right after it (and tests with
        # several parents after all of them); the node converter folds them into the model.
        test_behavior=TestBehavior.AFTER_EACH,
        node_converters={
            DbtResourceType.MODEL: model_node_converter(
                MANIFEST_PATH, _rerun_factory(profile_config)
            )
        },
        node_conversion_by_task_group=True,
        # One Asset per model would flood the Asset list; the DAG publishes what matters.
        emit_datasets=False,
    )


def dbt_task_group(
    group_id: str,
    profile_config: ProfileConfig,
    select: list[str],
    *,
    before_build: Callable[[Context], None] | None = None,
    after_build: Callable[[Context, Any], None] | None = None,
) -> DbtTaskGroup:
    """One Cosmos task group (call inside a DAG): a producer `dbt build` + a node per model.

    ``before_build`` / ``after_build`` run in the producer's task, right before its dbt build
    and right after it succeeded (every model and test of the group passed).
    """
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=PROJECT_CONFIG,
        profile_config=profile_config,
        execution_config=EXECUTION_CONFIG,
        render_config=_render_config(select, profile_config),
        # Only the producer is built from operator_args (the model nodes come from the
        # converter), so the hooks run around the group's one dbt build.
        operator_args={**OPERATOR_ARGS, "pre_execute": before_build, "post_execute": after_build},
    )
    # The producer aggregates test results per model for the nodes; attach each test to one
    # model as dbt does (Cosmos lists a multi-parent test under every parent).
    producer = group.children[group.child_id(PRODUCER_WATCHER_TASK_ID)]
    # Cosmos takes no producer class: ours only changes how node statuses reach XCom
    # (queued, off dbt's threads; socialpulse.transform.producer).
    producer.__class__ = QueuedProducer
    tests = attached_tests(MANIFEST_PATH)
    models = {t.unique_id for t in group.children.values() if isinstance(t, DbtModelNode)}
    producer.tests_per_model = {uid: tests[uid] for uid in models if uid in tests}
    # The model nodes carry the build's results; the producer's own failure (a model or test
    # failed) must not block what follows once those nodes are fixed and cleared.
    group.children[
        group.child_id(PRODUCER_WATCHER_DONE_TASK_ID)
    ].trigger_rule = TriggerRule.ALL_DONE
    return group
