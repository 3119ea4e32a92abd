"""The ``graph`` schema in PostgreSQL: run log, results and the sync watermark.

dbt reads these tables as a source. A run inserts its ``runs`` row (``running``) first, and
writes its results, its ``succeeded`` status and the new watermarks in one transaction at
the end, so a failed run leaves the previous results, and the watermark, untouched; its row
says ``failed`` with the error. ``latest_run`` names the newest succeeded run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

DDL = """
CREATE SCHEMA IF NOT EXISTS {schema};

CREATE TABLE IF NOT EXISTS {schema}.runs (
    run_id                    text PRIMARY KEY,
    run_ts                    timestamptz NOT NULL,
    status                    text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    full_sync                 boolean NOT NULL,
    finished_at               timestamptz,
    users                     bigint,
    groups                    bigint,
    friendships               bigint,
    follows                   bigint,
    memberships               bigint,
    relationships             bigint,
    rows_read                 bigint,
    nodes_created             bigint,
    relationships_created     bigint,
    relationships_deleted     bigint,
    projected_nodes           bigint,
    projected_relationships   bigint,
    projection_estimate_bytes bigint,
    pagerank_estimate_bytes   bigint,
    pagerank_iterations       integer,
    pagerank_converged        boolean,
    depth_exact               boolean,
    depth_sources             integer,
    sync_seconds              double precision,
    project_seconds           double precision,
    pagerank_seconds          double precision,
    depth_seconds             double precision,
    results_seconds           double precision,
    total_seconds             double precision,
    error                     text
);

CREATE TABLE IF NOT EXISTS {schema}.user_centrality (
    run_id        text NOT NULL REFERENCES {schema}.runs (run_id) ON DELETE CASCADE,
    run_ts        timestamptz NOT NULL,
    user_id       bigint NOT NULL,
    pagerank      double precision NOT NULL,
    pagerank_rank integer NOT NULL,
    friends       integer NOT NULL,
    followers     integer NOT NULL,
    following     integer NOT NULL,
    groups        integer NOT NULL,
    PRIMARY KEY (run_id, user_id)
);

CREATE TABLE IF NOT EXISTS {schema}.friendship_depth (
    run_id          text NOT NULL REFERENCES {schema}.runs (run_id) ON DELETE CASCADE,
    run_ts          timestamptz NOT NULL,
    depth           integer NOT NULL,
    pairs           bigint NOT NULL,
    share           double precision NOT NULL,
    sampled_sources integer NOT NULL,
    exact           boolean NOT NULL,
    PRIMARY KEY (run_id, depth)
);

CREATE TABLE IF NOT EXISTS {schema}.sync_state (
    source     text PRIMARY KEY,
    watermark  timestamptz NOT NULL,
    run_id     text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE OR REPLACE VIEW {schema}.latest_run AS
SELECT run_id, run_ts
FROM {schema}.runs
WHERE status = 'succeeded'
ORDER BY run_ts DESC, run_id DESC
LIMIT 1;
"""

CENTRALITY_COLUMNS = (
    "run_id",
    "run_ts",
    "user_id",
    "pagerank",
    "pagerank_rank",
    "friends",
    "followers",
    "following",
    "groups",
)
DEPTH_COLUMNS = ("run_id", "run_ts", "depth", "pairs", "share", "sampled_sources", "exact")

#: Keys of the run summary stored in ``runs`` (the rest of the summary is only returned).
RUN_FIELDS = (
    "full_sync",
    "users",
    "groups",
    "friendships",
    "follows",
    "memberships",
    "relationships",
    "rows_read",
    "nodes_created",
    "relationships_created",
    "relationships_deleted",
    "projected_nodes",
    "projected_relationships",
    "projection_estimate_bytes",
    "pagerank_estimate_bytes",
    "pagerank_iterations",
    "pagerank_converged",
    "depth_exact",
    "depth_sources",
    "sync_seconds",
    "project_seconds",
    "pagerank_seconds",
    "depth_seconds",
    "results_seconds",
    "total_seconds",
)


def _id(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def ensure_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Create the schema, tables and view if missing (idempotent, serialised by a lock)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"graph-ddl:{schema}",))
        conn.execute(sql.SQL(DDL).format(schema=_id(schema)))


def try_lock_run(conn: psycopg.Connection[Any], schema: str) -> bool:
    """A session lock held for the whole run: two runs never sync the same graph at once."""
    row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (f"graph-run:{schema}",))
    return bool(row.fetchone()[0])  # type: ignore[index]


def watermarks(conn: psycopg.Connection[Any], schema: str) -> dict[str, datetime]:
    rows = conn.execute(
        sql.SQL("SELECT source, watermark FROM {}.sync_state").format(_id(schema))
    ).fetchall()
    return {source: wm for source, wm in rows}


def start_run(
    conn: psycopg.Connection[Any], schema: str, run_id: str, run_ts: datetime, full: bool
) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.runs (run_id, run_ts, status, full_sync) VALUES (%s, %s, 'running', %s)"
        ).format(_id(schema)),
        (run_id, run_ts, full),
    )


def fail_run(
    conn: psycopg.Connection[Any], schema: str, run_id: str, error: str, summary: Mapping[str, Any]
) -> None:
    _update_run(conn, schema, run_id, "failed", summary, error=error)


def _update_run(
    conn: psycopg.Connection[Any],
    schema: str,
    run_id: str,
    status: str,
    summary: Mapping[str, Any],
    error: str | None = None,
) -> None:
    fields = [f for f in RUN_FIELDS if f in summary]
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = %s").format(_id(f)) for f in ("status", "finished_at", "error", *fields)
    )
    conn.execute(
        sql.SQL("UPDATE {}.runs SET {} WHERE run_id = %s").format(_id(schema), assignments),
        (status, datetime.now().astimezone(), error, *(summary[f] for f in fields), run_id),
    )


def _copy(
    conn: psycopg.Connection[Any],
    schema: str,
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
) -> int:
    statement = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
        _id(schema), _id(table), sql.SQL(", ").join(_id(c) for c in columns)
    )
    n = 0
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def publish(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    run_id: str,
    centrality: Iterable[tuple[Any, ...]],
    depth: Iterable[tuple[Any, ...]],
    new_watermarks: Mapping[str, datetime],
    summary: Mapping[str, Any],
    keep_runs: int,
) -> None:
    """Results, watermarks and the ``succeeded`` status in one transaction (all or nothing).

    Runs older than the newest ``keep_runs`` succeeded ones are deleted with their results.
    """
    now = datetime.now().astimezone()
    with conn.transaction():
        _copy(conn, schema, "user_centrality", CENTRALITY_COLUMNS, centrality)
        _copy(conn, schema, "friendship_depth", DEPTH_COLUMNS, depth)
        for source, wm in new_watermarks.items():
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.sync_state (source, watermark, run_id, updated_at) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT (source) DO UPDATE SET "
                    "watermark = EXCLUDED.watermark, run_id = EXCLUDED.run_id, "
                    "updated_at = EXCLUDED.updated_at"
                ).format(_id(schema)),
                (source, wm, run_id, now),
            )
        _update_run(conn, schema, run_id, "succeeded", summary)
        conn.execute(
            sql.SQL(
                "DELETE FROM {s}.runs WHERE run_id <> %(run)s AND run_ts < ("
                "SELECT min(run_ts) FROM (SELECT run_ts FROM {s}.runs WHERE status = 'succeeded' "
                "ORDER BY run_ts DESC LIMIT %(keep)s) AS kept)"
            ).format(s=_id(schema)),
            {"run": run_id, "keep": keep_runs},
        )


def record_timings(
    conn: psycopg.Connection[Any], schema: str, run_id: str, summary: Mapping[str, Any]
) -> None:
    """Store the publish time and the final total once the results are committed."""
    conn.execute(
        sql.SQL(
            "UPDATE {}.runs SET results_seconds = %s, total_seconds = %s WHERE run_id = %s"
        ).format(_id(schema)),
        (summary.get("results_seconds"), summary.get("total_seconds"), run_id),
    )
