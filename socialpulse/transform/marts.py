"""Build the ClickHouse marts outside Airflow (demo, CLI, tests) and read headline numbers.

The marts are dbt models on the ClickHouse target (``dbt build --target ch --select
tag:marts``). They read the vault through PostgreSQL-engine databases that the project's
on-run-start hook creates (dbt_project/macros/marts/mirrors.sql); ``prefix`` and
``pg_database`` let a test or benchmark build its own marts from its own warehouse.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from neo4j_jobs import results
from socialpulse.settings import Settings, get_settings
from socialpulse.transform.project import run_dbt

log = logging.getLogger(__name__)

MARTS_SELECTOR = "tag:marts"
GRAPH_SCHEMA = "graph"
#: The warehouse schemas the on-run-start hook mirrors (dbt_project/macros/marts/mirrors.sql).
MIRRORED_SCHEMAS = ("staging", "raw_vault", "business_vault", GRAPH_SCHEMA)
#: The ClickHouse databases dbt builds: the marts and the landing replicas they read.
BUILT_DATABASES = ("marts", "landing")


@dataclass(frozen=True)
class CentralitySnapshot:
    """The graph run whose PageRank the marts will carry (None before the first run)."""

    run_id: str | None
    run_ts: str | None


def centrality_snapshot(
    settings: Settings | None = None, dsn: str | None = None
) -> CentralitySnapshot:
    """Make sure the graph result tables exist and name the latest succeeded run.

    Runs before the marts whatever the graph task did: after a failed sync the marts still
    refresh, with the centrality of the last run that succeeded (or none yet).
    """
    s = settings or get_settings()
    with psycopg.connect(dsn or s.warehouse_dsn, autocommit=True) as conn:
        results.ensure_schema(conn, GRAPH_SCHEMA)
        row = conn.execute(f"SELECT run_id, run_ts::text FROM {GRAPH_SCHEMA}.latest_run").fetchone()
    snapshot = CentralitySnapshot(*(row or (None, None)))
    if snapshot.run_id is None:
        log.warning("no graph run has succeeded yet: the marts' PageRank columns stay null")
    else:
        log.info("marts use the centrality of graph run %s (%s)", snapshot.run_id, snapshot.run_ts)
    return snapshot


def dbt_vars(prefix: str = "", pg_database: str | None = None) -> list[str]:
    """``--vars`` selecting the ClickHouse database prefix and the warehouse to mirror."""
    values: dict[str, str] = {"ch_database_prefix": prefix}
    if pg_database:
        values["vault_pg_database"] = pg_database
    return ["--vars", json.dumps(values)]


def build_marts(
    settings: Settings | None = None,
    *,
    full_refresh: bool = False,
    prefix: str = "",
    pg_database: str | None = None,
    target_path: Path | None = None,
    command: str = "build",
) -> float:
    """``dbt build`` (models + tests) of the marts on the ClickHouse target; returns seconds."""
    s = settings or get_settings()
    started = time.perf_counter()
    run_dbt(
        [
            command,
            "--select",
            MARTS_SELECTOR,
            *(["--full-refresh"] if full_refresh else []),
            *dbt_vars(prefix, pg_database),
        ],
        settings=s,
        target="ch",
        target_path=target_path,
    )
    seconds = time.perf_counter() - started
    log.info("marts built in %.0f s", seconds)
    return seconds


def drop_marts_databases(client: Any, prefix: str) -> None:
    """Drop ``<prefix>marts``, ``<prefix>landing`` and the mirrors (a test's or benchmark's; the vault is untouched:
    dropping a PostgreSQL-engine database only forgets the mirror)."""
    if not prefix:
        raise ValueError("refusing to drop the real marts: give the prefix of a scratch build")
    for schema in (*BUILT_DATABASES, *MIRRORED_SCHEMAS):
        client.command(f"DROP DATABASE IF EXISTS {prefix}{schema} SYNC")


def headline_numbers(client: Any, database: str = "marts") -> dict[str, list[tuple[Any, ...]]]:
    """A few numbers from the marts (``client``: a clickhouse-connect client)."""
    queries = {
        "activity (last 7 days)": (
            f"SELECT activity_date, dau, wau, round(dau_wau_ratio, 2), posts, comments, reactions "
            f"FROM {database}.mart_platform_daily ORDER BY activity_date DESC LIMIT 7"
        ),
        "top communities by member growth (7 days)": (
            f"SELECT community_name, sum(net_member_growth) AS growth, max(members) AS members "
            f"FROM {database}.mart_community_daily WHERE activity_date >= "
            f"(SELECT max(activity_date) FROM {database}.mart_community_daily) - 6 "
            f"GROUP BY community_name ORDER BY growth DESC, community_name LIMIT 5"
        ),
        "top users by PageRank": (
            f"SELECT user_id, username, round(pagerank, 3), friends, followers "
            f"FROM {database}.mart_user_profile WHERE pagerank IS NOT NULL "
            f"ORDER BY pagerank DESC LIMIT 5"
        ),
        "most discussed topics": (
            f"SELECT discussion_rank, topic, comments, posts FROM {database}.mart_topics "
            f"ORDER BY discussion_rank, topic LIMIT 5"
        ),
    }
    return {title: list(client.query(sql).result_rows) for title, sql in queries.items()}
