"""The graph job against real Neo4j + GDS and PostgreSQL, on small known graphs."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import networkx as nx
import pytest
from graph_world import GraphWorld
from neo4j.exceptions import ServiceUnavailable

from neo4j_jobs.config import DepthParams, PageRankParams
from neo4j_jobs.graph import GraphMemoryError, GraphStore, sample_sources

pytestmark = pytest.mark.stack

#: A converged PageRank on both sides, so the comparison is about the model, not iterations.
TIGHT = PageRankParams(damping=0.85, max_iterations=200, tolerance=1e-10)


def small_social_graph(world: GraphWorld) -> None:
    """12 users, 4 groups: a friendship chain with a triangle, a few follows, memberships."""
    at = world.loaded
    world.vault.add_users(range(1, 13), load_ts=at)
    world.vault.add_groups(range(1, 5), load_ts=at)
    friendships = [(1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (5, 6), (7, 8), (9, 10), (10, 11)]
    world.vault.set_status("friendship", friendships, active=True, at=at, load_ts=at)
    follows = [(1, 9), (2, 9), (4, 9), (9, 1), (12, 9), (5, 6)]
    world.vault.set_status("follow", follows, active=True, at=at, load_ts=at)
    members = [(1, 1), (1, 2), (1, 3), (2, 9), (3, 12)]
    world.vault.set_status("group_membership", members, active=True, at=at, load_ts=at)


def test_second_sync_writes_nothing_and_keeps_the_counts(world: GraphWorld) -> None:
    small_social_graph(world)
    first = world.run()
    assert first["full_sync"] is True
    assert (first["users"], first["groups"]) == (12, 3)  # group 4 has no member
    assert (first["friendships"], first["follows"], first["memberships"]) == (9, 6, 5)

    # A lookback reaching past all the data makes the second sync re-read every row.
    second = world.run(lookback=timedelta(days=30))
    assert second["full_sync"] is False
    assert second["rows_read"] == first["rows_read"] == 12 + 9 + 6 + 5
    assert second["writes"] == 0
    for key in ("users", "groups", "friendships", "follows", "memberships"):
        assert second[key] == first[key], key

    # The default lookback (1 h) still re-reads the rows loaded at the watermark; without a
    # lookback, nothing loaded after the watermark means nothing read.
    assert world.run()["rows_read"] == first["rows_read"]
    assert world.run(lookback=timedelta(0))["rows_read"] == 0

    # full=True rebuilds the namespace to the same graph and the same ranking.
    before = world.latest_centrality()
    rebuilt = world.run(full=True)
    assert rebuilt["full_sync"] is True
    assert rebuilt["relationships"] == first["relationships"] == 20
    after = world.latest_centrality()
    assert after.keys() == before.keys()
    for user, row in after.items():
        assert row[0] == pytest.approx(before[user][0], abs=1e-9)
        assert row[2:] == before[user][2:]
    statuses = world.query("SELECT status, count(*) FROM {g}.runs GROUP BY status")
    assert statuses == [("succeeded", 5)]


def test_ended_friendship_disappears_from_the_next_pagerank(world: GraphWorld) -> None:
    small_social_graph(world)
    world.run(pagerank=TIGHT)
    before = world.latest_centrality()
    assert before[4][2] == 2  # friends of 4: 3 and 5

    now = datetime.now(UTC)
    world.vault.set_status("friendship", [(4, 5)], active=False, at=now, load_ts=now)
    world.vault.set_status("follow", [(3, 4)], active=True, at=now, load_ts=now)
    summary = world.run(lookback=timedelta(0), pagerank=TIGHT)

    assert summary["rows_read"] == 2  # only the changed links
    assert summary["relationships_deleted"] == 1
    assert summary["relationships_created"] == 1
    assert summary["friendships"] == 8
    after = world.latest_centrality()
    assert after[4][2] == 1
    assert after[5][2] == 1
    assert after[4][3] == 1  # the new follower
    records, _, _ = world.driver.execute_query(
        f"MATCH (a:`{world.config.user_label}` {{user_id: 4}})-[r:FRIENDS_WITH]-"
        f"(b:`{world.config.user_label}` {{user_id: 5}}) RETURN count(r) AS n"
    )
    assert records[0]["n"] == 0
    # 5 lost its tie to the 1-2-3-4 cluster: its rank is now the one of the 5-6 pair.
    assert after[5][0] != pytest.approx(before[5][0], abs=1e-6)
    assert_matches_networkx(world, after, TIGHT)


def nx_pagerank(graph: nx.MultiDiGraph, **kwargs: Any) -> dict[int, float]:
    """``nx.pagerank``; its pure-Python twin when SciPy (its backend) is not installed."""
    try:
        import scipy  # noqa: F401
    except ModuleNotFoundError:
        from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

        return dict(_pagerank_python(graph, **kwargs))
    return dict(nx.pagerank(graph, **kwargs))


def assert_matches_networkx(
    world: GraphWorld,
    pagerank: dict[int, tuple[Any, ...]],
    params: PageRankParams | None = None,
) -> None:
    """GDS PageRank = networkx's on the same multigraph, once GDS's scores are normalised.

    GDS computes PR(v) = (1 - d) + d * sum(PR(u) / out(u)), scores summing to N, and does
    not redistribute the rank of dangling nodes; networkx sums to 1 and does. On a graph
    without dangling nodes the two agree after dividing GDS's scores by their sum.
    """
    graph = nx.MultiDiGraph()
    label = world.config.user_label
    records, _, _ = world.driver.execute_query(
        f"MATCH (u:`{label}`) OPTIONAL MATCH (u)-[r:FRIENDS_WITH|FOLLOWS]->(v:`{label}`) "
        "RETURN u.user_id AS u, type(r) AS t, v.user_id AS v"
    )
    for r in records:
        graph.add_node(r["u"])
        if r["t"] == "FRIENDS_WITH":
            graph.add_edge(r["u"], r["v"])
            graph.add_edge(r["v"], r["u"])
        elif r["t"] == "FOLLOWS":
            graph.add_edge(r["u"], r["v"])
    dangling = [n for n in graph if graph.out_degree(n) == 0]
    assert dangling == [], "the models differ on dangling nodes: compare graphs without"
    p = params or world.config.pagerank
    expected = nx_pagerank(graph, alpha=p.damping, tol=1e-12, max_iter=1000)
    total = sum(float(row[0]) for row in pagerank.values())
    for user, score in expected.items():
        assert float(pagerank[user][0]) / total == pytest.approx(score, rel=1e-3), user


def test_pagerank_matches_networkx_on_a_known_graph(world: GraphWorld) -> None:
    rng = random.Random(3)
    users = list(range(1, 61))
    world.vault.add_users(users, load_ts=world.loaded)
    # Every user has a friend (no dangling nodes), plus preferential-attachment follows
    # (some pairs are both friends and follower/followee: parallel edges on both sides).
    friendships = {(u, rng.choice([v for v in users if v != u])) for u in users}
    follows = {(rng.choice(users), rng.choice(users[:8])) for _ in range(120)}
    follows = {(a, b) for a, b in follows if a != b}
    world.vault.set_status("friendship", friendships, active=True, at=world.loaded)
    world.vault.set_status("follow", follows, active=True, at=world.loaded)

    summary = world.run(pagerank=TIGHT)
    assert summary["pagerank_converged"] is True
    assert summary["projected_nodes"] == 60
    centrality = world.latest_centrality()
    ranks = sorted(centrality, key=lambda u: centrality[u][1])
    assert [centrality[u][1] for u in ranks] == list(range(1, 61))
    assert sum(float(row[0]) for row in centrality.values()) == pytest.approx(60, rel=1e-6)
    assert_matches_networkx(world, centrality, TIGHT)
    # Ranks follow the scores.
    scores = [float(centrality[u][0]) for u in ranks]
    assert scores == sorted(scores, reverse=True)


def friendship_graph(world: GraphWorld) -> nx.Graph:
    """Two components (a path with a cycle, a star), a pair and an isolated user."""
    edges = [(1, 2), (2, 3), (3, 4), (4, 5), (5, 1), (5, 6), (6, 7), (7, 8)]
    edges += [(10, i) for i in range(11, 16)] + [(20, 21)]
    users = [*range(1, 9), *range(10, 16), 20, 21, 30]
    world.vault.add_users(users, load_ts=world.loaded)
    world.vault.set_status("friendship", edges, active=True, at=world.loaded)
    # A follow must not count as a friendship hop.
    world.vault.set_status("follow", [(8, 10), (1, 7)], active=True, at=world.loaded)
    graph = nx.Graph(edges)
    graph.add_nodes_from(users)
    return graph


def expected_depths(graph: nx.Graph, sources: list[int]) -> dict[int, int]:
    counts: Counter[int] = Counter()
    for source in sources:
        for target, d in nx.single_source_shortest_path_length(graph, source).items():
            if target != source:
                counts[d] += 1
    return dict(counts)


def test_depth_distribution_is_exact_on_a_small_graph(world: GraphWorld) -> None:
    graph = friendship_graph(world)
    summary = world.run()
    expected = expected_depths(graph, list(graph))
    assert summary["depth_exact"] is True
    assert summary["depth_distribution"] == expected
    rows = world.latest_depth()
    assert {d: pairs for d, pairs, _, _ in rows} == expected
    assert {(n, exact) for _, _, n, exact in rows} == {(graph.number_of_nodes(), True)}


def test_sampled_depth_counts_the_sampled_sources_exactly(world: GraphWorld) -> None:
    graph = friendship_graph(world)
    depth = DepthParams(exact_max_users=5, sample_sources=6, seed=11)
    summary = world.run(depth=depth)
    sources = sample_sources(list(graph), 6, 11)
    assert summary["depth_exact"] is False
    assert summary["depth_sources"] == 6
    assert summary["depth_distribution"] == expected_depths(graph, sources)
    assert {(n, exact) for _, _, n, exact in world.latest_depth()} == {(6, False)}


def test_neo4j_down_fails_the_run_and_keeps_the_previous_results(world: GraphWorld) -> None:
    small_social_graph(world)
    good = world.run()
    before = world.latest_centrality()
    marks = world.query("SELECT source, watermark FROM {g}.sync_state ORDER BY source")

    now = datetime.now(UTC)
    world.vault.set_status("follow", [(6, 1)], active=True, at=now, load_ts=now)
    unreachable = world.settings.model_copy(update={"neo4j_bolt_port": 1})
    with pytest.raises(ServiceUnavailable):
        world.run(settings=unreachable)

    assert world.query("SELECT run_id FROM {g}.latest_run") == [(good["run_id"],)]
    assert world.latest_centrality() == before
    assert world.query("SELECT source, watermark FROM {g}.sync_state ORDER BY source") == marks
    failed = world.query("SELECT status, error FROM {g}.runs WHERE status <> 'succeeded'")
    assert len(failed) == 1
    assert failed[0][0] == "failed"
    assert "ServiceUnavailable" in failed[0][1]
    assert world.store.projections() == []

    # Back up: the change the failed run missed is picked up (the watermark did not move).
    summary = world.run(lookback=timedelta(0))
    assert summary["rows_read"] == 1
    assert world.latest_centrality()[1][3] == before[1][3] + 1


def test_failure_after_projection_drops_it_and_keeps_the_results(
    world: GraphWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_social_graph(world)
    good = world.run()
    before = world.latest_centrality()
    seen: list[list[str]] = []

    def refuse(self: GraphStore, name: str, params: PageRankParams) -> int:
        seen.append(self.projections())
        raise GraphMemoryError("estimate over budget (simulated)")

    monkeypatch.setattr(GraphStore, "estimate_pagerank", refuse)
    with pytest.raises(GraphMemoryError):
        world.run()
    assert len(seen) == 1
    assert len(seen[0]) == 1  # the projection existed when the run failed ...
    assert world.store.projections() == []  # ... and was dropped
    assert world.query("SELECT run_id FROM {g}.latest_run") == [(good["run_id"],)]
    assert world.latest_centrality() == before


def test_memory_estimate_over_budget_is_refused_before_projecting(world: GraphWorld) -> None:
    small_social_graph(world)
    with pytest.raises(GraphMemoryError, match="heap"):
        world.run(max_heap_share=1e-9)
    assert world.store.projections() == []
    assert world.query("SELECT status FROM {g}.runs") == [("failed",)]
