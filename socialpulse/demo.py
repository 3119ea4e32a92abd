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


def build_vault(settings: Settings) -> None:
    from socialpulse.transform.vault import build_vault as dbt_build_vault

    summary = dbt_build_vault(settings)
    typer.echo(
        f"  dbt build in {summary.seconds:.0f}s: {summary.count('raw_vault.hub_')} hubs, "
        f"{summary.count('raw_vault.link_')} links, "
        f"{summary.count('raw_vault.sat_') + summary.count('raw_vault.eff_sat_')} satellites, "
        f"{summary.count('business_vault.')} business vault tables"
    )
    for table in (
        "raw_vault.hub_user",
        "raw_vault.link_friendship",
        "business_vault.bridge_user_social",
    ):
        typer.echo(f"  {table:<40} {summary.rows.get(table, 0):>10,}")


def sync_graph(settings: Settings) -> None:
    from neo4j_jobs.run import sync_and_rank

    result = sync_and_rank(settings)
    shown = (
        "users",
        "friendships",
        "follows",
        "memberships",
        "pagerank_iterations",
        "total_seconds",
    )
    typer.echo("  " + ", ".join(f"{k}={result[k]}" for k in shown if k in result))
    typer.echo(f"  friendship depth (BFS level -> pairs): {result.get('depth_distribution')}")


def build_marts(settings: Settings) -> None:
    from socialpulse.transform.marts import build_marts as dbt_build_marts
    from socialpulse.transform.marts import centrality_snapshot, headline_numbers

    snapshot = centrality_snapshot(settings)
    seconds = dbt_build_marts(settings)
    typer.echo(
        f"  dbt build --target ch in {seconds:.0f}s (PageRank of graph run {snapshot.run_id})"
    )
    from infra.stack.clickhouse import ClickHouseService

    client = ClickHouseService(settings).client(analyst=True)  # what Tableau sees
    for title, rows in headline_numbers(client).items():
        typer.echo(f"  {title}:")
        for row in rows:
            typer.echo("    " + " | ".join(str(value) for value in row))


STEPS: list[tuple[str, Callable[[Settings], None]]] = [
    ("start the native stack", start_stack),
    ("run DAG stack_healthcheck through the Airflow REST API", run_healthcheck_dag),
    ("generate 30 dirty minutes and run DAG ingest_events", run_ingestion),
    ("build staging + Data Vault with dbt", build_vault),
    ("sync the social graph into Neo4j, PageRank + friendship depth", sync_graph),
    ("build the ClickHouse marts and read them as the analyst", build_marts),
]


def run_demo(settings: Settings) -> None:
    for number, (title, step) in enumerate(STEPS, start=1):
        typer.echo(f"[{number}/{len(STEPS)}] {title}")
        step(settings)
