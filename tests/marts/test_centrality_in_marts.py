"""PageRank reaches the marts, and survives a graph run that fails (Neo4j down).

The graph job runs for real against this world's vault (its own Neo4j label prefix), the
marts are rebuilt after each step, and the user profile mart must carry exactly the
centrality of the latest *succeeded* run: none before the first, the first one after a
run that could not reach Neo4j.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import MartsWorld
from neo4j import GraphDatabase
from neo4j.exceptions import ServiceUnavailable

from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.graph import GraphStore
from neo4j_jobs.run import sync_and_rank
from socialpulse.transform.marts import centrality_snapshot

pytestmark = [pytest.mark.stack, pytest.mark.slow]


@pytest.fixture
def graph_config(
    marts_world: MartsWorld, started_service: Callable[[str], Any]
) -> Iterator[GraphJobConfig]:
    started_service("neo4j")
    config = GraphJobConfig(dsn=marts_world.dsn, label_prefix=f"M{uuid.uuid4().hex[:8]}_")
    yield config
    s = marts_world.settings
    auth = (s.neo4j_user, s.neo4j_password.get_secret_value())
    with GraphDatabase.driver(s.neo4j_uri, auth=auth) as driver:
        GraphStore(driver, config).remove()


def profile_centrality(world: MartsWorld) -> dict[int, tuple[Any, Any]]:
    rows = world.rows("SELECT user_id, pagerank, pagerank_rank FROM {marts}.mart_user_profile")
    return {user: (rank, position) for user, rank, position in rows}


def published_centrality(world: MartsWorld, run_id: str) -> dict[int, tuple[Any, Any]]:
    import psycopg

    with psycopg.connect(world.dsn) as conn:
        rows = conn.execute(
            "SELECT user_id, pagerank, pagerank_rank FROM graph.user_centrality WHERE run_id = %s",
            (run_id,),
        ).fetchall()
    return {user: (rank, position) for user, rank, position in rows}


def test_marts_carry_the_last_known_centrality(
    marts_world: MartsWorld, graph_config: GraphJobConfig
) -> None:
    world = marts_world
    # Before any graph run: the columns exist and are null.
    assert centrality_snapshot(world.settings, world.dsn).run_id is None
    before = profile_centrality(world)
    assert before
    assert all(value == (None, None) for value in before.values())

    good = sync_and_rank(world.settings, graph_config, full=True)
    world.build()
    expected = published_centrality(world, good["run_id"])
    assert len(expected) > 50
    carried = profile_centrality(world)
    assert {u: carried[u] for u in expected} == expected  # the same doubles, as published
    assert world.rows(
        "SELECT DISTINCT pagerank_run_ts IS NOT NULL FROM {marts}.mart_user_profile WHERE pagerank IS NOT NULL"
    ) == [(1,)]

    # Neo4j unreachable: the graph run fails, the marts refresh anyway with the old run.
    unreachable = world.settings.model_copy(update={"neo4j_bolt_port": 1})
    with pytest.raises(ServiceUnavailable):
        sync_and_rank(unreachable, graph_config)
    assert centrality_snapshot(world.settings, world.dsn).run_id == good["run_id"]
    world.build()
    assert profile_centrality(world) == carried
    depth = world.rows("SELECT sum(pairs) FROM {marts}.mart_friendship_depth")
    assert depth[0][0] > 0
