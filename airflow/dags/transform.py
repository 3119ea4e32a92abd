"""Raw events -> staging -> Data Vault -> graph sidecar -> ClickHouse marts.

Runs whenever ``ingest_events`` publishes new raw events (its Asset). Cosmos renders two
task groups from the dbt manifest (``python -m socialpulse.transform.manifest``), one task
per dbt model: ``vault`` (Postgres) and ``marts`` (ClickHouse); their configuration lives
in ``socialpulse.transform.cosmos_config``. Between them, ``graph_sync_and_rank`` syncs the
social graph into Neo4j and writes PageRank and friendship depth to the ``graph`` schema.
``centrality_snapshot`` runs whatever the graph task did (trigger rule ``all_done``), so
when Neo4j is down the marts still refresh, with the last known centrality; the marts do
need the vault to have succeeded (docs/graph.md, docs/marts.md).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import TriggerRule, dag, task

from socialpulse.alerts import callbacks, retry_callbacks
from socialpulse.ingestion.tasks import RAW_EVENTS_ASSET
from socialpulse.transform.cosmos_config import (
    CH_PROFILE_CONFIG,
    MARTS_RENDER_CONFIG,
    PG_PROFILE_CONFIG,
    VAULT_RENDER_CONFIG,
    dbt_task_group,
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

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def centrality_snapshot() -> dict[str, str | None]:
        from socialpulse.transform.marts import centrality_snapshot

        snapshot = centrality_snapshot()
        return {"run_id": snapshot.run_id, "run_ts": snapshot.run_ts}

    vault = dbt_task_group("vault", PG_PROFILE_CONFIG, VAULT_RENDER_CONFIG)
    marts = dbt_task_group("marts", CH_PROFILE_CONFIG, MARTS_RENDER_CONFIG)
    snapshot = centrality_snapshot()
    vault >> graph_sync_and_rank() >> snapshot
    [vault, snapshot] >> marts


transform()
