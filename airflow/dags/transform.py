"""Raw events -> staging -> Data Vault (raw vault, business vault) -> graph sidecar.

Runs whenever ``ingest_events`` publishes new raw events (its Asset). Cosmos renders the
``vault`` task group, one task per dbt model, from the dbt manifest
(``python -m socialpulse.transform.manifest``); its configuration lives in
``socialpulse.transform.cosmos_config``. ``graph_sync_and_rank`` (not dbt: a plain task)
then syncs the social graph into Neo4j and writes PageRank and friendship depth to the
``graph`` schema. The ClickHouse marts come after it with trigger rule ``all_done``, so they
refresh with the last known centrality when Neo4j is down (docs/graph.md).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup

from socialpulse.alerts import callbacks, retry_callbacks
from socialpulse.ingestion.tasks import RAW_EVENTS_ASSET
from socialpulse.transform.cosmos_config import (
    EXECUTION_CONFIG,
    PG_PROFILE_CONFIG,
    PROJECT_CONFIG,
    VAULT_OPERATOR_ARGS,
    VAULT_RENDER_CONFIG,
)

ON_SUCCESS, ON_FAILURE = callbacks()


@dag(
    dag_id="transform",
    schedule=[RAW_EVENTS_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # incremental vault loads never overlap
    dagrun_timeout=timedelta(hours=1),
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

    vault = DbtTaskGroup(
        group_id="vault",
        project_config=PROJECT_CONFIG,
        profile_config=PG_PROFILE_CONFIG,
        execution_config=EXECUTION_CONFIG,
        render_config=VAULT_RENDER_CONFIG,
        operator_args=VAULT_OPERATOR_ARGS,
    )
    vault >> graph_sync_and_rank()


transform()
