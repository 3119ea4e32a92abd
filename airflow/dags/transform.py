"""Raw events -> staging -> Data Vault -> graph sidecar -> ClickHouse marts, one snapshot per run.

Runs whenever ``ingest_events`` loaded new raw events (its Asset). Cosmos renders two task
groups from the dbt manifest, each ONE ``dbt build`` (its producer task) and one node per model
that follows that model's result (``socialpulse.transform.watcher``): ``vault`` (Postgres) and
``marts`` (ClickHouse). Every dbt invocation of a run gets the same raw snapshot
(``socialpulse.transform.snapshot``: fixed when the vault's build starts, passed in dbt's
environment). Between the groups,
``graph_sync_and_rank`` syncs the social graph into Neo4j and writes PageRank and friendship
depth; ``graph_done`` waits for it whatever happened (trigger rule ``all_done``), so when Neo4j
is down the marts still refresh with the last known centrality. When the marts' build has
passed, the snapshot is marked complete and the next run starts after it (docs/data_vault.md,
docs/graph.md, docs/marts.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import TriggerRule, dag, task

from socialpulse.alerts import callbacks, retry_callbacks
from socialpulse.ingestion.tasks import RAW_EVENTS_ASSET
from socialpulse.transform.cosmos_config import (
    CH_PROFILE_CONFIG,
    MARTS_SELECT,
    PG_PROFILE_CONFIG,
    VAULT_SELECT,
    dbt_task_group,
)
from socialpulse.transform.snapshot import run_env

ON_SUCCESS, ON_FAILURE = callbacks()


def _marts_use_the_last_known_centrality(context: Any) -> None:
    from socialpulse.transform.marts import centrality_snapshot

    centrality_snapshot()


def _complete_the_snapshot(context: Any, result: Any) -> None:
    from socialpulse.settings import get_settings
    from socialpulse.transform.snapshot import complete

    complete(get_settings().warehouse_dsn, str(context["run_id"]))


@dag(
    dag_id="transform",
    schedule=[RAW_EVENTS_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # incremental vault loads never overlap
    dagrun_timeout=timedelta(hours=1),
    # dbt's environment in every task: the run's snapshot, rendered natively into a dict.
    user_defined_macros={"snapshot_env": run_env},
    render_template_as_native_obj=True,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30)},
    on_success_callback=ON_SUCCESS,
    on_failure_callback=ON_FAILURE,
    tags=["transform", "dbt"],
)
def transform() -> None:
    @task(
        retries=2,
        retry_delay=timedelta(seconds=30),
        retry_exponential_backoff=True,
        on_failure_callback=ON_FAILURE,
        # Neo4j down: say so at the first failed try, not only after the last retry.
        on_retry_callback=retry_callbacks(),
    )
    def graph_sync_and_rank() -> dict[str, object]:
        from neo4j_jobs.run import sync_and_rank

        return sync_and_rank()

    vault = dbt_task_group("vault", PG_PROFILE_CONFIG, VAULT_SELECT)
    marts = dbt_task_group(
        "marts",
        CH_PROFILE_CONFIG,
        MARTS_SELECT,
        before_build=_marts_use_the_last_known_centrality,
        after_build=_complete_the_snapshot,
    )
    graph_done = EmptyOperator(task_id="graph_done", trigger_rule=TriggerRule.ALL_DONE)
    vault >> graph_sync_and_rank() >> graph_done
    [vault, graph_done] >> marts


transform()
