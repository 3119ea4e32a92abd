"""The graph job: vault -> Neo4j sync, GDS PageRank + friendship depth -> PostgreSQL ``graph``.

``sync_and_rank(settings)`` is the Airflow task (DAG ``transform``, between the vault and the
marts); ``python -m neo4j_jobs`` runs it by hand. Steps:

1. ensure the ``graph`` schema (PostgreSQL) and the constraints (Neo4j); log a ``running`` run;
2. sync users and the friendship / follow / membership changes loaded since the watermark
   (everything on the first run or with ``full=True``, which rebuilds the namespace);
3. project users + FRIENDS_WITH (undirected) + FOLLOWS (directed) after a memory estimate;
4. PageRank (estimate first, refused over the heap budget) and friendship depth (exact up to
   ``exact_max_users`` users, else from sampled sources);
5. drop the projection (always), then write centrality, depth, watermarks and the
   ``succeeded`` status in one PostgreSQL transaction.

Any failure marks the run ``failed`` and re-raises: the previous results stay the latest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from time import perf_counter
from typing import Any
from uuid import uuid4

import psycopg
from neo4j import GraphDatabase

from neo4j_jobs import results, vault
from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.graph import DEPTH_TYPES, GraphStore, WriteCounts, sample_sources
from socialpulse.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: "since the beginning": used for a source without a watermark in an existing graph.
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


class GraphRunLockedError(RuntimeError):
    """Another run of the graph job holds the lock of this results schema."""


@contextmanager
def _timed(summary: dict[str, Any], key: str) -> Iterator[None]:
    start = perf_counter()
    try:
        yield
    finally:
        summary[key] = round(perf_counter() - start, 3)


def sync_and_rank(
    settings: Settings | None = None,
    config: GraphJobConfig | None = None,
    *,
    full: bool = False,
) -> dict[str, Any]:
    """Sync the vault's social graph into Neo4j, rank it, publish to PostgreSQL; the summary.

    Raises on any failure (Neo4j or PostgreSQL down, memory estimate over budget, ...) after
    marking the run ``failed``; the previous results and the watermark are left as they were.
    """
    s = settings or get_settings()
    cfg = config or GraphJobConfig()
    dsn = cfg.dsn or s.warehouse_dsn
    schema = cfg.results_schema
    run_ts = datetime.now(UTC)
    run_id = f"{run_ts:%Y%m%dT%H%M%S}Z-{uuid4().hex[:8]}"
    summary: dict[str, Any] = {"run_id": run_id, "run_ts": run_ts.isoformat(), "full_sync": full}
    start = perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn:
        results.ensure_schema(conn, schema)
        if not results.try_lock_run(conn, schema):
            raise GraphRunLockedError(
                f"another graph run is writing {schema}; wait for it (see {schema}.runs)"
            )
        results.start_run(conn, schema, run_id, run_ts, full)
        try:
            _run(s, cfg, conn, dsn, run_id, run_ts, summary, full=full, start=start)
        except BaseException as exc:
            summary["total_seconds"] = round(perf_counter() - start, 3)
            log.error("graph run %s failed: %s", run_id, exc)
            try:
                results.fail_run(conn, schema, run_id, f"{type(exc).__name__}: {exc}", summary)
            except Exception:
                log.exception("could not mark graph run %s failed", run_id)
            raise
    summary["status"] = "succeeded"
    log.info("graph run %s succeeded: %s", run_id, summary)
    return summary


def _run(
    s: Settings,
    cfg: GraphJobConfig,
    conn: psycopg.Connection[Any],
    dsn: str,
    run_id: str,
    run_ts: datetime,
    summary: dict[str, Any],
    *,
    full: bool,
    start: float,
) -> None:
    auth = (s.neo4j_user, s.neo4j_password.get_secret_value())
    with GraphDatabase.driver(
        s.neo4j_uri, auth=auth, connection_timeout=15, max_transaction_retry_time=30
    ) as driver:
        driver.verify_connectivity()
        store = GraphStore(driver, cfg)
        for stale in store.projections():
            log.warning("dropping projection %s left by an interrupted run", stale)
            store.drop_projection(stale)
        store.ensure_schema()

        with _timed(summary, "sync_seconds"):
            new_marks = _sync(store, cfg, conn, dsn, summary, full=full)
        summary.update(store.counts())
        summary["relationships"] = (
            summary["friendships"] + summary["follows"] + summary["memberships"]
        )

        centrality: list[tuple[Any, ...]] = []
        depth: list[tuple[Any, ...]] = []
        name = f"{store.projection_prefix()}{run_id}"
        try:
            if summary["users"]:
                centrality, depth = _rank(store, cfg, name, run_id, run_ts, summary)
        finally:
            try:
                store.drop_projection(name)
            except Exception:
                log.exception("could not drop projection %s", name)

    with _timed(summary, "results_seconds"):
        summary["total_seconds"] = round(perf_counter() - start, 3)
        results.publish(
            conn,
            cfg.results_schema,
            run_id=run_id,
            centrality=centrality,
            depth=depth,
            new_watermarks=new_marks,
            summary=summary,
            keep_runs=cfg.keep_runs,
        )
    summary["total_seconds"] = round(perf_counter() - start, 3)
    results.record_timings(conn, cfg.results_schema, run_id, summary)


def _sync(
    store: GraphStore,
    cfg: GraphJobConfig,
    results_conn: psycopg.Connection[Any],
    dsn: str,
    summary: dict[str, Any],
    *,
    full: bool,
) -> dict[str, datetime]:
    """Write the vault's changes into Neo4j; the watermarks to store if the run succeeds."""
    marks = results.watermarks(results_conn, cfg.results_schema)
    fresh = full or not marks or store.counts()["users"] == 0
    summary["full_sync"] = fresh
    if fresh:
        log.info("full sync: rebuilding the %s graph", cfg.user_label)
        store.wipe()
    counts = WriteCounts()
    rows_read = 0
    new_marks: dict[str, datetime] = {}

    def since(source: str) -> datetime | None:
        if fresh:
            return None
        if source in marks:
            return marks[source] - cfg.lookback
        return _BEGINNING

    # One REPEATABLE READ snapshot: the watermarks are the newest load_ts of what is read.
    with psycopg.connect(dsn) as read:
        read.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        sources = [(vault.USERS_SOURCE, vault.HUBS["user"][0])] + [
            (rel.eff_sat, rel.eff_sat) for rel in vault.RELATIONS
        ]
        for source, table in sources:
            newest = vault.max_load_ts(read, cfg.vault_schema, table)
            if newest is not None:
                new_marks[source] = newest

        for user_ids in vault.user_batches(
            read, cfg.vault_schema, since(vault.USERS_SOURCE), cfg.batch_size
        ):
            store.merge_users(user_ids, counts)
            rows_read += len(user_ids)
        for rel in vault.RELATIONS:
            for changes in vault.relation_batches(
                read, cfg.vault_schema, rel, since(rel.eff_sat), cfg.batch_size
            ):
                store.apply_relations(rel, changes, counts, create=fresh)
                rows_read += len(changes)
        read.rollback()

    summary.update(
        rows_read=rows_read,
        nodes_created=counts.nodes_created,
        relationships_created=counts.relationships_created,
        relationships_deleted=counts.relationships_deleted,
        properties_set=counts.properties_set,
        writes=counts.writes,
    )
    return new_marks


def _rank(
    store: GraphStore,
    cfg: GraphJobConfig,
    name: str,
    run_id: str,
    run_ts: datetime,
    summary: dict[str, Any],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Project, PageRank, depth: the rows of user_centrality and friendship_depth."""
    with _timed(summary, "project_seconds"):
        summary["projection_estimate_bytes"] = store.estimate_projection()
        projection = store.project(name)
    summary["projected_nodes"] = projection["nodeCount"]
    summary["projected_relationships"] = projection["relationshipCount"]

    with _timed(summary, "pagerank_seconds"):
        summary["pagerank_estimate_bytes"] = store.estimate_pagerank(name, cfg.pagerank)
        pr = store.pagerank(name, cfg.pagerank)
        rows = list(store.centrality(name))
    summary["pagerank_iterations"] = pr["ranIterations"]
    summary["pagerank_converged"] = pr["didConverge"]
    rows.sort(key=lambda r: (-r[1], r[0]))
    centrality = [(run_id, run_ts, *r[:2], rank, *r[2:]) for rank, r in enumerate(rows, 1)]

    with _timed(summary, "depth_seconds"):
        users = [r[0] for r in rows]
        exact = len(users) <= cfg.depth.exact_max_users
        sources = (
            users if exact else sample_sources(users, cfg.depth.sample_sources, cfg.depth.seed)
        )
        if not set(DEPTH_TYPES) <= set(store.relationship_projection()):
            pairs: dict[int, int] = {}
        elif exact:
            pairs = store.depth_exact(name)
        else:
            pairs = store.depth_sampled(name, sources)
    summary["depth_exact"] = exact
    summary["depth_sources"] = len(sources)
    summary["depth_distribution"] = dict(sorted(pairs.items()))
    total = sum(pairs.values())
    depth = [
        (run_id, run_ts, d, n, n / total, len(sources), exact) for d, n in sorted(pairs.items())
    ]
    return centrality, depth
