"""`make demo`: start the real stack and run the main job end to end, printing what happened.

Each step is a function so later stages (ingestion, vault, marts, graph) append to ``STEPS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import typer

from infra.stack.registry import SERVICE_CLASSES, service
from socialpulse.airflow_api import AirflowApi
from socialpulse.settings import Settings


def start_stack(settings: Settings) -> None:
    for name in SERVICE_CLASSES:
        t0 = time.monotonic()
        service(name, settings).start()
        typer.echo(f"  {name:<10} healthy ({time.monotonic() - t0:.1f}s)")


def run_healthcheck_dag(settings: Settings) -> None:
    api = AirflowApi(settings)
    run_id, state = api.run_dag("stack_healthcheck", timeout_s=300)
    for task_id, task_state in sorted(api.task_states("stack_healthcheck", run_id).items()):
        typer.echo(f"  {task_id:<20} {task_state}")
    if state != "success":
        raise typer.Exit(1)
    typer.echo(f"  run {run_id}: {state}  ({settings.airflow_url}/dags/stack_healthcheck)")


def run_ingestion(settings: Settings) -> None:
    from socialpulse.ingestion.demo import run_ingestion_demo

    run_ingestion_demo(settings)


STEPS: list[tuple[str, Callable[[Settings], None]]] = [
    ("start the native stack", start_stack),
    ("run DAG stack_healthcheck through the Airflow REST API", run_healthcheck_dag),
    ("generate 30 dirty minutes and run DAG ingest_events", run_ingestion),
]


def run_demo(settings: Settings) -> None:
    for number, (title, step) in enumerate(STEPS, start=1):
        typer.echo(f"[{number}/{len(STEPS)}] {title}")
        step(settings)
