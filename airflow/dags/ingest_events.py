"""Every minute: new MinIO event files -> validated, de-duplicated rows in PostgreSQL ``raw``.

discover -> read -> validate -> clean -> load -> publish. ``discover`` (which also applies
pending migrations) short-circuits an idle minute: the stage tasks are skipped, no task
process starts for them. ``publish`` carries the Asset that schedules the transform DAG and
is skipped (no Asset event) unless the run made new rows visible. Event data moves between
the stage tasks as run-scoped artefacts in MinIO (``_work/<run>/<stage>/``); only object
keys and counts travel through XCom. ``load`` is the only task that writes ``raw``: each
object in one transaction with its manifest row. Logic lives in ``socialpulse.ingestion``;
see docs/ingestion.md.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, cast

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from socialpulse.alerts import callbacks
from socialpulse.ingestion import tasks

# Alerts carry the run's counts, read from the manifest when the callback fires.
# (Typed Any: the notifiers are callables, but mypy does not see list[BaseNotifier] as one.)
ON_SUCCESS, ON_FAILURE = cast(tuple[Any, Any], callbacks(details=tasks.run_counts))

DEFAULT_ARGS: dict[str, Any] = {
    # Transient failures (MinIO/PostgreSQL restarts) retry with growing waits; a retried
    # stage reuses the per-object results it already wrote, and an object that failed
    # stays pending (no manifest row), so the next run picks it up again.
    "retries": int(os.environ.get("INGEST_TASK_RETRIES", "3")),
    "retry_delay": timedelta(seconds=15),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=5),
}


def _run_id() -> str:
    return str(get_current_context()["run_id"])


@dag(
    dag_id="ingest_events",
    schedule="* * * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # runs never overlap (the loader is safe if they did, see docs)
    dagrun_timeout=timedelta(minutes=30),
    default_args=DEFAULT_ARGS,
    params={
        "prefix": Param(
            None,
            type=["null", "string"],
            description="Key prefix to ingest instead of INGEST_PREFIX (manual runs).",
        )
    },
    on_success_callback=ON_SUCCESS,
    on_failure_callback=ON_FAILURE,
    tags=["ingestion"],
)
def ingest_events() -> None:
    @task.short_circuit
    def discover() -> list[dict[str, Any]]:
        return tasks.discover_objects(get_current_context()["params"].get("prefix"))

    @task
    def read(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return tasks.read_files(objects, _run_id())

    @task
    def validate(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return tasks.validate_files(items, _run_id())

    @task
    def clean(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return tasks.clean_files(items, _run_id())

    @task
    def load(items: list[dict[str, Any]]) -> dict[str, Any]:
        return tasks.load_files(items, _run_id())

    @task(outlets=[tasks.RAW_EVENTS_ASSET])
    def publish(totals: dict[str, Any]) -> dict[str, Any]:
        return tasks.publish(totals)

    # XComArgs typed Any: the task functions are typed with the values they receive.
    objects: Any = discover()
    publish(load(clean(validate(read(objects)))))


ingest_events()
