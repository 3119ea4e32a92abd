"""Raw events -> staging -> Data Vault -> graph sidecar -> ClickHouse marts, one snapshot per run.

Runs whenever ``ingest_events`` loaded new raw events (its Asset). ``snapshot`` fixes the raw
rows the run covers (``socialpulse.transform.snapshot``); Cosmos renders two task groups from
the dbt manifest, each ONE ``dbt build`` (its producer task) and one node per model that
follows that model's result (``socialpulse.transform.watcher``): ``vault`` (Postgres) and
``marts`` (ClickHouse). Between them, ``graph_sync_and_rank`` syncs the social graph into Neo4j
and writes PageRank and friendship depth; ``centrality_snapshot`` runs whatever the graph task
did (trigger rule ``all_done``), so when Neo4j is down the marts still refresh with the last
known centrality. ``complete`` marks the snapshot done once the marts are built, so the next
run starts after it (docs/data_vault.md, docs/graph.md, docs/marts.md).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import TriggerRule, dag, get_current_context, task

from socialpulse.alerts import callbacks, retry_callbacks
from socialpulse.ingestion.tasks import RAW_EVENTS_ASSET
from socialpulse.transform.cosmos_config import (
    CH_PROFILE_CONFIG,
    MARTS_SELECT,
    PG_PROFILE_CONFIG,
    SNAPSHOT_TASK_ID,
    VAULT_SELECT,
    dbt_task_group,
)

ON_SUCCESS, ON_FAILURE = callbacks()


def _run_id() -> str:
    return str(get_current_context()["run_id"])


@dag(
    dag_id="transform",
    schedule=[RAW_EVENTS_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # incremental vault loads never overlap
    dagrun_timeout=timedelta(hours=1),
    # The snapshot task's XCom (a dict, None before the first completed run) reaches dbt's
    # --vars as it is.
    render_template_as_native_obj=True,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30)},
    on_success_callback=ON_SUCCESS,
    on_failure_callback=ON_FAILURE,
    tags=["transform", "dbt"],
)
def transform() -> None:
    @task(task_id=SNAPSHOT_TASK_ID)
    def snapshot() -> dict[str, str | None]:
        from socialpulse.settings import get_settings
        from socialpulse.transform.snapshot import begin

        return begin(get_settings().warehouse_dsn, _run_id()).dbt_vars()

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

    @task
    def complete() -> str:
        from socialpulse.settings import get_settings
        from socialpulse.transform.snapshot import complete

        return complete(get_settings().warehouse_dsn, _run_id()).load_ts_to.isoformat()

    vault = dbt_task_group("vault", PG_PROFILE_CONFIG, VAULT_SELECT)
    marts = dbt_task_group("marts", CH_PROFILE_CONFIG, MARTS_SELECT)
    centrality = centrality_snapshot()
    snapshot() >> vault >> graph_sync_and_rank() >> centrality
    [vault, centrality] >> marts >> complete()


transform()
