"""Graph sidecar throughput: vault -> Neo4j sync rate, projection + PageRank + depth times.

Prints figures, asserts nothing. Writes a synthetic heavy-tailed social graph into
vault-shaped scratch tables (COPY) in the database ``socialpulse_graph_bench``, runs the real
job (``neo4j_jobs.run.sync_and_rank``) under the label prefix ``Bench_`` with its own results
schema, then an incremental run over ~1 % changed links. Everything it wrote is removed at the
end unless ``--keep``.

    .venv/bin/python benchmarks/graph.py                                   # 10k users / 100k rels
    .venv/bin/python benchmarks/graph.py --users 100000 --relationships 1000000
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from neo4j import GraphDatabase
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.graph import GraphStore
from neo4j_jobs.run import sync_and_rank
from neo4j_jobs.scratch import ScratchVault
from socialpulse.settings import get_settings

DB = "socialpulse_graph_bench"


def heavy_tailed_pairs(rng: np.random.Generator, users: int, n: int, skew: float) -> np.ndarray:
    """``n`` distinct (src, dst) pairs, src uniform, dst heavy-tailed (power of a uniform)."""
    out = np.empty((0, 2), dtype=np.int64)
    while len(out) < n:
        k = int((n - len(out)) * 1.3) + 1000
        src = rng.integers(1, users + 1, k)
        dst = (users * rng.random(k) ** skew).astype(np.int64) + 1
        pairs = np.stack([src, dst], axis=1)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        out = np.unique(np.concatenate([out, pairs]), axis=0)
    return out[rng.permutation(len(out))[:n]]


def build_vault(vault: ScratchVault, users: int, relationships: int, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    loaded = datetime.now(UTC) - timedelta(days=1)
    n_friend = int(relationships * 0.4)
    n_follow = int(relationships * 0.5)
    n_member = relationships - n_friend - n_follow
    groups = max(10, users // 100)
    vault.create()
    vault.add_users(range(1, users + 1), load_ts=loaded)
    vault.add_groups(range(1, groups + 1), load_ts=loaded)
    friends = heavy_tailed_pairs(rng, users, n_friend, skew=2.0)
    # A friendship is one link per unordered pair: keep the first of (a, b) / (b, a).
    canon = np.unique(np.sort(friends, axis=1), axis=0)
    follows = heavy_tailed_pairs(rng, users, n_follow, skew=4.0)  # celebrities
    members = np.stack(
        [
            (groups * rng.random(n_member) ** 2.0).astype(np.int64) + 1,
            rng.integers(1, users + 1, n_member),
        ],
        axis=1,
    )
    members = np.unique(members, axis=0)
    counts = {
        "friendship": vault.set_status(
            "friendship", map(tuple, canon.tolist()), active=True, at=loaded, load_ts=loaded
        ),
        "follow": vault.set_status(
            "follow", map(tuple, follows.tolist()), active=True, at=loaded, load_ts=loaded
        ),
        "group_membership": vault.set_status(
            "group_membership",
            map(tuple, members.tolist()),
            active=True,
            at=loaded,
            load_ts=loaded,
        ),
    }
    vault.index()
    vault.analyze()
    return counts


def change_one_percent(vault: ScratchVault, users: int, relationships: int, seed: int) -> int:
    """End ~0.5 % of the friendships and add ~0.5 % new follows, loaded now."""
    rng = np.random.default_rng(seed + 1)
    now = datetime.now(UTC)
    with psycopg.connect(vault.dsn) as conn:
        ended = conn.execute(
            sql.SQL(
                "SELECT a.user_id, b.user_id FROM {s}.eff_sat_friendship f "
                "JOIN {s}.hub_user a ON a.user_hk = f.user_a_hk "
                "JOIN {s}.hub_user b ON b.user_hk = f.user_b_hk "
                "ORDER BY random() LIMIT %s"
            ).format(s=sql.Identifier(vault.schema)),
            (max(1, relationships // 200),),
        ).fetchall()
    n = vault.set_status("friendship", ended, active=False, at=now, load_ts=now)
    follows = heavy_tailed_pairs(rng, users, max(1, relationships // 200), skew=4.0)
    n += vault.set_status("follow", map(tuple, follows.tolist()), active=True, at=now, load_ts=now)
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--relationships", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="leave the graph and tables")
    args = parser.parse_args()

    settings = get_settings()
    with psycopg.connect(settings.postgres_dsn("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    dsn = settings.postgres_dsn(DB)
    vault = ScratchVault(dsn, "bench_vault")
    config = GraphJobConfig(
        vault_schema=vault.schema,
        results_schema="bench_graph",
        label_prefix="Bench_",
        dsn=dsn,
        batch_size=args.batch_size,
        lookback=timedelta(0),
    )
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    driver = GraphDatabase.driver(settings.neo4j_uri, auth=auth)
    store = GraphStore(driver, config)

    print(f"graph benchmark: {args.users:,} users, ~{args.relationships:,} relationships")
    t = time.perf_counter()
    counts = build_vault(vault, args.users, args.relationships, args.seed)
    total_rels = sum(counts.values())
    print(f"  vault tables written (COPY) in {time.perf_counter() - t:.1f} s: {counts}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS bench_graph CASCADE"))

    try:
        full = sync_and_rank(settings, config, full=True)
        rate = total_rels / full["sync_seconds"]
        print("full run (rebuild, CREATE path)")
        print(f"  sync            {full['sync_seconds']:8.1f} s  {rate:10,.0f} relationships/s")
        print(
            f"  projection      {full['project_seconds']:8.1f} s  "
            f"{full['projected_nodes']:,} nodes, {full['projected_relationships']:,} rels "
            f"(estimate {full['projection_estimate_bytes'] / 2**20:.0f} MiB)"
        )
        print(
            f"  pageRank        {full['pagerank_seconds']:8.1f} s  "
            f"{full['pagerank_iterations']} iterations, converged {full['pagerank_converged']} "
            f"(estimate {full['pagerank_estimate_bytes'] / 2**20:.1f} MiB, incl. result stream)"
        )
        print(
            f"  depth           {full['depth_seconds']:8.1f} s  "
            f"{'exact' if full['depth_exact'] else 'sampled'}, {full['depth_sources']} sources: "
            f"{full['depth_distribution']}"
        )
        print(f"  results (COPY)  {full['results_seconds']:8.1f} s")
        print(f"  total           {full['total_seconds']:8.1f} s")

        changed = change_one_percent(vault, args.users, args.relationships, args.seed)
        inc = sync_and_rank(settings, config)
        print(f"incremental run ({changed:,} changed links, MERGE path)")
        print(
            f"  sync            {inc['sync_seconds']:8.1f} s  "
            f"{inc['rows_read'] / inc['sync_seconds']:10,.0f} relationships/s  "
            f"(+{inc['relationships_created']:,} / -{inc['relationships_deleted']:,})"
        )
        print(
            f"  project+rank    {inc['project_seconds'] + inc['pagerank_seconds']:8.1f} s"
            f"   total {inc['total_seconds']:.1f} s"
        )
    finally:
        if not args.keep:
            store.wipe()
            store.drop_schema()
            vault.drop()
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS bench_graph CASCADE"))
        driver.close()


if __name__ == "__main__":
    main()
