"""Raw events -> staging -> Data Vault (raw vault, business vault), one Airflow task per dbt model.

Runs whenever ``ingest_events`` publishes new raw events (its Asset). Cosmos renders the
``vault`` task group from the dbt manifest (``python -m socialpulse.transform.manifest``);
all configuration lives in ``socialpulse.transform.cosmos_config``. Later steps (the graph
sidecar, the ClickHouse marts) are appended after ``vault``.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag
from cosmos import DbtTaskGroup

from socialpulse.ingestion.tasks import RAW_EVENTS_ASSET
from socialpulse.transform.cosmos_config import (
    EXECUTION_CONFIG,
    PG_PROFILE_CONFIG,
    PROJECT_CONFIG,
    VAULT_OPERATOR_ARGS,
    VAULT_RENDER_CONFIG,
)


@dag(
    dag_id="transform",
    schedule=[RAW_EVENTS_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # incremental vault loads never overlap
    dagrun_timeout=timedelta(hours=1),
    default_args={"retries": 1, "retry_delay": timedelta(seconds=30)},
    tags=["transform", "dbt"],
)
def transform() -> None:
    DbtTaskGroup(
        group_id="vault",
        project_config=PROJECT_CONFIG,
        profile_config=PG_PROFILE_CONFIG,
        execution_config=EXECUTION_CONFIG,
        render_config=VAULT_RENDER_CONFIG,
        operator_args=VAULT_OPERATOR_ARGS,
    )


transform()
