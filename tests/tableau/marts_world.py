"""Real marts in the ClickHouse database ``marts`` of the test stack, where Tableau's user sees them.

A small world spanning a UTC midnight is generated and ingested into its own PostgreSQL
database (``socialpulse.transform.world.build_scratch_marts``), the vault is built, the
graph job ranks it in Neo4j (its own label prefix), and the marts are built under the
prefix ``tableau_world_`` (own mirrors, nothing of the warehouse read). The analyst may
read only ``marts``, so each built mart is then copied there with ``CREATE TABLE
marts.<mart> AS <prefix>marts.<mart>`` (same columns, types and engine) and its rows.
:meth:`PublishedMarts.remove` drops exactly what was created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings
from socialpulse.tableau.dashboards import MARTS_DATABASE
from socialpulse.transform.world import ScratchMarts, build_scratch_marts

WAREHOUSE_DB = "socialpulse_tableau_test"
PREFIX = "tableau_world_"
USERS = 120
MINUTES = 6 * 60


@dataclass
class PublishedMarts:
    scratch: ScratchMarts
    tables: list[str]  # the marts copied into `marts`

    def remove(self) -> None:
        client = ClickHouseService(self.scratch.settings).client()
        try:
            for table in self.tables:
                client.command(f"DROP TABLE IF EXISTS {MARTS_DATABASE}.`{table}` SYNC")
        finally:
            client.close()
        self.scratch.remove()


def world_start(now: datetime, minutes: int = MINUTES) -> datetime:
    """Half the minutes before a UTC midnight, ending at least half an hour before ``now``."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight + timedelta(minutes=minutes // 2 + 30) > now:
        midnight -= timedelta(days=1)
    return midnight - timedelta(minutes=minutes // 2)


def publish_marts(settings: Settings, target_path: Path) -> PublishedMarts:
    """Generate, ingest, build the vault, rank the graph, build and publish the marts."""
    scratch = build_scratch_marts(
        settings, database=WAREHOUSE_DB, prefix=PREFIX, users=USERS, minutes=MINUTES,
        seed=31, start=world_start(datetime.now(UTC)), target_path=target_path,
    )  # fmt: skip
    published = PublishedMarts(scratch, [])
    built = scratch.marts_database
    client = ClickHouseService(settings).client()
    try:
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
