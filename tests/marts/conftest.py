"""A generated world spanning three UTC days, through ingestion and the vault, into marts.

Postgres database ``socialpulse_marts_test`` holds its raw tables and vault; the marts are
built from it on ClickHouse under the database prefix ``mtest_`` (``mtest_marts``, with
mirrors ``mtest_raw_vault``, ...), so neither the warehouse nor the real marts are touched.
The generated files stay in MinIO for the tests that recompute metrics from them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from clickhouse_connect.driver.client import Client

from generator.writer import minio_client
from infra.stack.clickhouse import ClickHouseService
from socialpulse.ingestion.reader import iter_lines, open_object
from socialpulse.settings import REPO_ROOT, Settings
from socialpulse.transform.marts import build_marts, centrality_snapshot, drop_marts_databases
from socialpulse.transform.project import run_dbt
from socialpulse.transform.world import (
    LoadedWorld,
    ensure_database,
    generate_and_ingest,
    ingest_prefix,
    remove_prefix,
)

TEST_DB = "socialpulse_marts_test"
PREFIX = "mtest_"
MARTS = f"{PREFIX}marts"
USERS = 120
#: Five hours each side of a UTC midnight: sessions, WAU windows and communities span days.
MINUTES = 10 * 60
#: The last files are held back and loaded later (an incremental refresh).
HELD_BACK_MINUTES = 30


@dataclass
class MartsWorld:
    settings: Settings
    dsn: str
    world: LoadedWorld
    target_path: Path
    held_back: Callable[[str], bool]

    def client(self) -> Client:
        return ClickHouseService(self.settings).client()

    def build(self, *, full_refresh: bool = False) -> None:
        build_marts(
            self.settings,
            full_refresh=full_refresh,
            prefix=PREFIX,
            pg_database=TEST_DB,
            target_path=self.target_path,
        )

    def build_vault(self) -> None:
        run_dbt(["run"], env={"POSTGRES_DB": TEST_DB}, target_path=self.target_path)

    def snapshot_bound(self) -> datetime:
        """The newest snapshot bound a vault build recorded: the marts' "now"."""
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute("SELECT max(load_ts_to) FROM staging.load_bounds").fetchone()
        assert row is not None
        assert row[0] is not None
        return row[0].astimezone(UTC)  # type: ignore[no-any-return]

    def load_held_back(self) -> int:
        return ingest_prefix(self.dsn, self.world.prefix + "events/", settings=self.settings)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.client().query(sql.replace("{marts}", MARTS)).result_rows)

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event of every generated file (the source of truth the marts must match)."""
        client = minio_client(self.settings)
        bucket = self.settings.minio_bucket
        for obj in client.list_objects(bucket, prefix=self.world.prefix, recursive=True):
            name = str(obj.object_name)
            if not name.endswith(".jsonl.gz"):
                continue
            with open_object(client, bucket, name) as stream:
                for line in iter_lines(stream):
                    if line.strip():
                        yield json.loads(line)


@pytest.fixture(scope="session")
def marts_world(
    started_service: Callable[[str], Any],
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MartsWorld]:
    for name in ("postgres", "minio", "clickhouse"):
        started_service(name)
    dsn = ensure_database(TEST_DB, settings, fresh=True)
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if midnight + timedelta(minutes=MINUTES // 2 + 30) > now:  # the world must not reach now
        midnight -= timedelta(days=1)
    start = midnight - timedelta(minutes=MINUTES // 2)
    held_back_from = start + timedelta(minutes=MINUTES - HELD_BACK_MINUTES)
    stamps = {
        (held_back_from + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M")
        for m in range(HELD_BACK_MINUTES)
    }

    def held_back(key: str) -> bool:
        return any(stamp in key for stamp in stamps)

    world = generate_and_ingest(
        dsn, users=USERS, minutes=MINUTES, seed=23, start=start, settings=settings, skip=held_back
    )
    marts = MartsWorld(settings, dsn, world, tmp_path_factory.mktemp("marts_target"), held_back)
    marts.build_vault()
    centrality_snapshot(settings, dsn)  # the graph schema exists even before any graph run
    client = marts.client()
    drop_marts_databases(client, PREFIX)
    marts.build(full_refresh=True)
    yield marts
    remove_prefix(world.prefix, settings=settings)
    drop_marts_databases(client, PREFIX)


#: The incremental marts and a total that grows when late events arrive.
INCREMENTAL_MARTS = {
    "mart_platform_daily": "sum(posts + comments + reactions + views)",
    "mart_ad_performance_daily": "sum(impressions)",
    "mart_campaign_performance_daily": "sum(impressions)",
    "mart_revenue_daily": "sum(donations + sponsorships + subscription_payments)",
    "mart_community_daily": "sum(posts + comments + reactions)",
    "mart_post_virality": "sum(views + shares + quotes + comments + reactions)",
}
#: The incremental ClickHouse tables under the marts (landing replicas, intermediates):
#: table -> (database suffix, the columns compared, a total that grows with late events).
INCREMENTAL_TABLES = {
    "int_user_active_days": ("marts", "activity_date, user_hk", "count()"),
    # every landing replica: each model of dbt_project/models/landing
    **{
        model.stem: ("landing", "*", "count()")
        for model in sorted(
            (REPO_ROOT / "dbt_project" / "models" / "landing").glob("landing_*.sql")
        )
    },
}


@dataclass
class IncrementalRefresh:
    files_loaded: int
    totals_before: dict[str, int]
    #: mart -> rows of the incremental result missing from a full rebuild, and vice versa
    differences: dict[str, tuple[int, int]]
    totals_after: dict[str, int]
    #: a second run with nothing new: mart -> rows it changed (must be none)
    rerun_changes: dict[str, int]


def _snapshot_queries() -> dict[str, str]:
    """What each incremental table holds, comparable between two builds."""
    queries = {
        mart: f"SELECT * EXCEPT vault_load_ts FROM {MARTS}.{mart}" for mart in INCREMENTAL_MARTS
    }
    for table, (database, columns, _) in INCREMENTAL_TABLES.items():
        final = " FINAL" if table.startswith("int_") else ""
        queries[table] = f"SELECT {columns} FROM {PREFIX}{database}.{table}{final}"
    return queries


@pytest.fixture(scope="session")
def incremental_refresh(marts_world: MartsWorld) -> IncrementalRefresh:
    """Load the held-back (late) files, refresh the marts incrementally, run again with
    nothing new (a repeated delivery changes nothing), compare with a full rebuild."""
    world = marts_world
    client = world.client()
    queries = _snapshot_queries()

    def totals() -> dict[str, int]:
        return {
            mart: int(client.command(f"SELECT {total} FROM {MARTS}.{mart}"))
            for mart, total in INCREMENTAL_MARTS.items()
        }

    def keep(name: str) -> None:
        client.command(f"DROP TABLE IF EXISTS {MARTS}.kept_{name}")
        client.command(f"CREATE TABLE {MARTS}.kept_{name} ENGINE = Memory AS {queries[name]}")

    def differs(name: str) -> tuple[int, int]:
        """Rows kept but not there now, and rows there now but not kept (or repeated)."""
        kept = f"SELECT * FROM {MARTS}.kept_{name}"
        now = queries[name]
        repeated = abs(
            int(client.command(f"SELECT count() FROM ({kept})"))
            - int(client.command(f"SELECT count() FROM ({now})"))
        )
        return (
            int(client.command(f"SELECT count() FROM ({kept} EXCEPT {now})")),
            int(client.command(f"SELECT count() FROM ({now} EXCEPT {kept})")) + repeated,
        )

    before = totals()
    files = world.load_held_back()
    world.build_vault()
    world.build()
    for name in queries:
        keep(name)
    world.build()  # nothing new: a no-op
    rerun = {name: sum(differs(name)) for name in queries}
    world.build(full_refresh=True)
    differences = {}
    for name in queries:
        differences[name] = differs(name)
        client.command(f"DROP TABLE {MARTS}.kept_{name}")
    return IncrementalRefresh(files, before, differences, totals(), rerun)
