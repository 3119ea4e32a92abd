"""Smoke tests of the native Neo4j Community + GDS service, through the real Bolt driver."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError

from infra.stack.base import NativeService
from infra.stack.neo4j import GDS_VERSION, NEO4J_VERSION
from socialpulse.settings import Settings

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def neo4j_service(started_service: Callable[[str], NativeService]) -> NativeService:
    return started_service("neo4j")


@pytest.fixture(scope="module")
def driver(neo4j_service: NativeService, settings: Settings) -> Iterator[Driver]:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(neo4j_service.url, auth=auth) as drv:
        drv.verify_connectivity()
        yield drv


@pytest.fixture
def label(driver: Driver) -> Iterator[str]:
    """A label no other test or data uses; its nodes are deleted afterwards."""
    name = f"SpTest_{uuid.uuid4().hex[:12]}"
    yield name
    driver.execute_query(f"MATCH (n:`{name}`) DETACH DELETE n")


def test_service_reports_itself(neo4j_service: NativeService, settings: Settings) -> None:
    assert neo4j_service.health()
    assert neo4j_service.url == f"bolt://{settings.neo4j_host}:{settings.neo4j_bolt_port}"
    assert neo4j_service.version() == f"{NEO4J_VERSION} (GDS {GDS_VERSION})"


def test_server_and_gds_versions(driver: Driver) -> None:
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition"
    )
    assert [(r["name"], r["versions"], r["edition"]) for r in records] == [
        ("Neo4j Kernel", [NEO4J_VERSION], "community")
    ]
    records, _, _ = driver.execute_query("RETURN gds.version() AS version")
    assert records[0]["version"] == GDS_VERSION


def test_write_then_read(driver: Driver, label: str) -> None:
    driver.execute_query(
        f"UNWIND $people AS p CREATE (:`{label}` {{name: p.name, age: p.age}})",
        people=[
            {"name": "ada", "age": 36},
            {"name": "alan", "age": 41},
            {"name": "grace", "age": 85},
        ],
    )
    driver.execute_query(
        f"MATCH (a:`{label}` {{name: 'ada'}}), (b:`{label}`) WHERE b.name <> 'ada' "
        "CREATE (a)-[:FOLLOWS {since: 2020}]->(b)"
    )
    records, _, _ = driver.execute_query(
        f"MATCH (a:`{label}`)-[r:FOLLOWS]->(b:`{label}`) "
        "RETURN a.name AS src, b.name AS dst, r.since AS since ORDER BY dst"
    )
    assert [(r["src"], r["dst"], r["since"]) for r in records] == [
        ("ada", "alan", 2020),
        ("ada", "grace", 2020),
    ]
    records, _, _ = driver.execute_query(
        f"MATCH (n:`{label}`) RETURN count(n) AS n, sum(n.age) AS total"
    )
    assert (records[0]["n"], records[0]["total"]) == (3, 36 + 41 + 85)


def test_pagerank_ranks_the_hub_of_a_star_first(driver: Driver, label: str) -> None:
    # Four leaves point at one hub. GDS PageRank (damping 0.85, no dangling redistribution)
    # gives every leaf 0.15 and the hub 0.15 + 0.85 * 4 * 0.15 = 0.66.
    driver.execute_query(
        f"CREATE (h:`{label}` {{name: 'hub'}}) "
        f"WITH h UNWIND ['a', 'b', 'c', 'd'] AS leaf "
        f"CREATE (:`{label}` {{name: leaf}})-[:LINKS]->(h)"
    )
    graph = f"g_{label}"
    try:
        records, _, _ = driver.execute_query(
            "CALL gds.graph.project($graph, $label, 'LINKS') "
            "YIELD nodeCount, relationshipCount RETURN nodeCount, relationshipCount",
            graph=graph,
            label=label,
        )
        assert (records[0]["nodeCount"], records[0]["relationshipCount"]) == (5, 4)
        records, _, _ = driver.execute_query(
            "CALL gds.pageRank.stream($graph, {dampingFactor: 0.85}) YIELD nodeId, score "
            "RETURN gds.util.asNode(nodeId).name AS name, score ORDER BY score DESC, name",
            graph=graph,
        )
    finally:
        driver.execute_query("CALL gds.graph.drop($graph, false) YIELD graphName", graph=graph)
    scores = {r["name"]: r["score"] for r in records}
    assert [r["name"] for r in records] == ["hub", "a", "b", "c", "d"]
    assert all(score > 0 for score in scores.values())
    assert scores["hub"] == pytest.approx(0.66, abs=1e-6)
    for leaf in "abcd":
        assert scores[leaf] == pytest.approx(0.15, abs=1e-6)
    records, _, _ = driver.execute_query(
        "CALL gds.graph.exists($graph) YIELD exists RETURN exists", graph=graph
    )
    assert records[0]["exists"] is False


def test_wrong_password_is_rejected(neo4j_service: NativeService, settings: Settings) -> None:
    wrong = settings.neo4j_password.get_secret_value() + "-wrong"
    with (
        GraphDatabase.driver(neo4j_service.url, auth=(settings.neo4j_user, wrong)) as drv,
        pytest.raises(AuthError),
    ):
        drv.verify_connectivity()
