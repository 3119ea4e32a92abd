"""Real marts in the ClickHouse database ``marts`` of the test stack, where Tableau's user sees them.

A small world spanning a UTC midnight is generated and ingested into its own PostgreSQL
database, the vault is built, the graph job ranks it in Neo4j (its own label prefix), and the
marts are built under the prefix ``tableau_world_`` (own mirrors, nothing of the warehouse
read). The analyst may read only ``marts``, so each built mart is then copied there with
``CREATE TABLE marts.<mart> AS <prefix>marts.<mart>`` (same columns, types and engine) and
its rows. :meth:`PublishedMarts.remove` drops exactly what was created.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from neo4j import GraphDatabase

from infra.stack.clickhouse import ClickHouseService
from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.graph import GraphStore
from neo4j_jobs.run import sync_and_rank
from socialpulse.settings import Settings
from socialpulse.tableau.dashboards import MARTS_DATABASE
from socialpulse.transform.marts import build_marts, centrality_snapshot, drop_marts_databases
from socialpulse.transform.project import run_dbt
from socialpulse.transform.world import (
    LoadedWorld,
    ensure_database,
    generate_and_ingest,
    remove_prefix,
)

WAREHOUSE_DB = "socialpulse_tableau_test"
PREFIX = "tableau_world_"
USERS = 120
MINUTES = 6 * 60


@dataclass
class PublishedMarts:
    settings: Settings
    world: LoadedWorld
    graph: GraphJobConfig
    tables: list[str]  # the marts copied into `marts`

    def remove(self) -> None:
        client = ClickHouseService(self.settings).client()
        try:
            for table in self.tables:
                client.command(f"DROP TABLE IF EXISTS {MARTS_DATABASE}.`{table}` SYNC")
            drop_marts_databases(client, PREFIX)
        finally:
            client.close()
        remove_prefix(self.world.prefix, settings=self.settings)
        s = self.settings
        auth = (s.neo4j_user, s.neo4j_password.get_secret_value())
        with GraphDatabase.driver(s.neo4j_uri, auth=auth) as driver:
            GraphStore(driver, self.graph).remove()


def world_start(now: datetime, minutes: int = MINUTES) -> datetime:
    """Half the minutes before a UTC midnight, ending at least half an hour before ``now``."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight + timedelta(minutes=minutes // 2 + 30) > now:
        midnight -= timedelta(days=1)
    return midnight - timedelta(minutes=minutes // 2)


def publish_marts(settings: Settings, target_path: Path) -> PublishedMarts:
    """Generate, ingest, build the vault, rank the graph, build and publish the marts."""
    dsn = ensure_database(WAREHOUSE_DB, settings, fresh=True)
    world = generate_and_ingest(
        dsn,
        users=USERS,
        minutes=MINUTES,
        seed=31,
        start=world_start(datetime.now(UTC)),
        settings=settings,
        prefix=f"test-tableau-{uuid.uuid4().hex[:10]}/",
    )
    run_dbt(["run"], env={"POSTGRES_DB": WAREHOUSE_DB}, target_path=target_path)
    graph = GraphJobConfig(dsn=dsn, label_prefix=f"T{uuid.uuid4().hex[:8]}_")
    sync_and_rank(settings, graph, full=True)
    centrality_snapshot(settings, dsn)
    client = ClickHouseService(settings).client()
    published = PublishedMarts(settings, world, graph, [])
    try:
        drop_marts_databases(client, PREFIX)
        build_marts(
            settings,
            full_refresh=True,
            prefix=PREFIX,
            pg_database=WAREHOUSE_DB,
            target_path=target_path,
            command="run",
        )
        built = f"{PREFIX}{MARTS_DATABASE}"
        tables = [
            row[0]
            for row in client.query(
                "SELECT name FROM system.tables WHERE database = {db:String} "
                "AND name NOT LIKE '%\\_\\_dbt\\_%' ORDER BY name",
                parameters={"db": built},
            ).result_rows
        ]
        client.command(f"CREATE DATABASE IF NOT EXISTS {MARTS_DATABASE}")
        for table in tables:
            client.command(f"DROP TABLE IF EXISTS {MARTS_DATABASE}.`{table}` SYNC")
            client.command(f"CREATE TABLE {MARTS_DATABASE}.`{table}` AS {built}.`{table}`")
            published.tables.append(table)
            client.command(
                f"INSERT INTO {MARTS_DATABASE}.`{table}` SELECT * FROM {built}.`{table}`"
            )
    except BaseException:
        published.remove()
        raise
    finally:
        client.close()
    return published
