"""Everything that talks to Neo4j: schema, batched writes, the GDS projection and algorithms.

Graph model (docs/graph.md)::

    (:User {user_id})-[:FRIENDS_WITH {since}]->(:User)   once per pair, lower id -> higher id
    (:User)-[:FOLLOWS {since}]->(:User)                  follower -> followee
    (:User)-[:MEMBER_OF {since}]->(:Group {group_id})

Ended relationships are deleted, so the graph is always the current one and the native
projection needs no filter. Writes are ``UNWIND $rows ... MERGE``, one transaction per batch.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString, cast

from neo4j import Driver, ManagedTransaction, SummaryCounters

from neo4j_jobs.config import GraphJobConfig, PageRankParams
from neo4j_jobs.vault import Relation, RelationChange

log = logging.getLogger(__name__)

#: Relationship types projected for PageRank, with their orientation.
PAGERANK_PROJECTION = {
    "FRIENDS_WITH": {"type": "FRIENDS_WITH", "orientation": "UNDIRECTED"},
    "FOLLOWS": {"type": "FOLLOWS", "orientation": "NATURAL"},
}
#: The relationship types friendship depth walks (a subset of the projection).
DEPTH_TYPES = ["FRIENDS_WITH"]


class GraphMemoryError(RuntimeError):
    """GDS estimates more heap than the job allows itself; nothing was computed."""


def _q(text: str) -> LiteralString:
    # Labels and types cannot be parameters; they come from GraphJobConfig (validated names).
    return cast(LiteralString, text)


@dataclass
class WriteCounts:
    nodes_created: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def add(self, counters: SummaryCounters) -> None:
        self.nodes_created += counters.nodes_created
        self.relationships_created += counters.relationships_created
        self.relationships_deleted += counters.relationships_deleted
        self.properties_set += counters.properties_set

    @property
    def writes(self) -> int:
        return (
            self.nodes_created
            + self.relationships_created
            + self.relationships_deleted
            + self.properties_set
        )


class GraphStore:
    """The SocialPulse graph of one label namespace (``GraphJobConfig.label_prefix``)."""

    def __init__(self, driver: Driver, config: GraphJobConfig) -> None:
        self.driver = driver
        self.config = config
        self.user = config.user_label
        self.group = config.group_label

    def _label(self, hub: str) -> str:
        return self.user if hub == "user" else self.group

    # -- schema -----------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Uniqueness constraints (each backed by a range index) on the business keys."""
        for label, key in ((self.user, "user_id"), (self.group, "group_id")):
            self.driver.execute_query(
                _q(
                    f"CREATE CONSTRAINT `{label.lower()}_{key}_unique` IF NOT EXISTS "
                    f"FOR (n:`{label}`) REQUIRE n.{key} IS UNIQUE"
                )
            )
        self.driver.execute_query("CALL db.awaitIndexes(300)")

    def drop_schema(self) -> None:
        for label, key in ((self.user, "user_id"), (self.group, "group_id")):
            self.driver.execute_query(
                _q(f"DROP CONSTRAINT `{label.lower()}_{key}_unique` IF EXISTS")
            )

    def wipe(self) -> None:
        """Delete the namespace's relationships, then its nodes, in batched transactions.

        Relationships go first: DETACH DELETE of a 10k-node batch holding a celebrity (100k+
        follows) would exceed the transaction memory pool.
        """
        size = self.config.batch_size
        statements = [
            f"MATCH (:`{self.user}`)-[r]->() CALL (r) {{ DELETE r }} IN TRANSACTIONS OF {size} ROWS",
            f"MATCH (n:`{self.user}`) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {size} ROWS",
            f"MATCH (n:`{self.group}`) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF {size} ROWS",
        ]
        for statement in statements:
            with self.driver.session() as session:
                session.run(_q(statement)).consume()

    def counts(self) -> dict[str, int]:
        """Nodes and relationships of the namespace, by label / type."""
        out: dict[str, int] = {}
        for name, label in (("users", self.user), ("groups", self.group)):
            records, _, _ = self.driver.execute_query(
                _q(f"MATCH (n:`{label}`) RETURN count(n) AS n")
            )
            out[name] = int(records[0]["n"])
        for name, rel_type, src, dst in (
            ("friendships", "FRIENDS_WITH", self.user, self.user),
            ("follows", "FOLLOWS", self.user, self.user),
            ("memberships", "MEMBER_OF", self.user, self.group),
        ):
            records, _, _ = self.driver.execute_query(
                _q(f"MATCH (:`{src}`)-[r:{rel_type}]->(:`{dst}`) RETURN count(r) AS n")
            )
            out[name] = int(records[0]["n"])
        return out

    # -- writes -----------------------------------------------------------------------------

    def _write(self, query: str, rows: list[dict[str, Any]], counts: WriteCounts) -> None:
        def work(tx: ManagedTransaction) -> SummaryCounters:
            return tx.run(_q(query), rows=rows).consume().counters

        with self.driver.session() as session:
            counts.add(session.execute_write(work))

    def merge_users(self, user_ids: list[int], counts: WriteCounts) -> None:
        self._write(
            f"UNWIND $rows AS id MERGE (:`{self.user}` {{user_id: id}})",
            cast(list[dict[str, Any]], user_ids),
            counts,
        )

    def apply_relations(
        self,
        rel: Relation,
        changes: Sequence[RelationChange],
        counts: WriteCounts,
        *,
        create: bool = False,
    ) -> None:
        """MERGE the active links of a batch and delete the ended ones, in one transaction.

        ``create`` (a rebuild of an empty namespace) CREATEs the relationships: the vault
        holds one link per pair, so there is nothing to merge with, and CREATE skips the
        existence check that makes MERGE on high-degree nodes slow.
        """
        src_label, dst_label = self._label(rel.src_hub), self._label(rel.dst_hub)
        src_key = "user_id" if rel.src_hub == "user" else "group_id"
        dst_key = "user_id" if rel.dst_hub == "user" else "group_id"
        # Times travel as epoch milliseconds: the driver packs 10k datetimes ~10x slower.
        active = [
            {"s": c.src, "d": c.dst, "t": int(c.since.timestamp() * 1000)}
            for c in changes
            if c.is_active
        ]
        ended = [{"s": c.src, "d": c.dst} for c in changes if not c.is_active]
        ends = (
            f"MERGE (a:`{src_label}` {{{src_key}: row.s}}) "
            f"MERGE (b:`{dst_label}` {{{dst_key}: row.d}}) "
        )
        if create:
            upsert = f"UNWIND $rows AS row {ends}CREATE (a)-[:{rel.rel_type} {{since: datetime({{epochMillis: row.t}})}}]->(b)"
        else:
            # SET only when the period start differs: a re-read of an unchanged link writes nothing.
            upsert = (
                f"UNWIND $rows AS row {ends}MERGE (a)-[r:{rel.rel_type}]->(b) "
                "WITH r, datetime({epochMillis: row.t}) AS since "
                "WHERE r.since IS NULL OR r.since <> since SET r.since = since"
            )
        delete = (
            f"UNWIND $rows AS row MATCH (:`{src_label}` {{{src_key}: row.s}})"
            f"-[r:{rel.rel_type}]->(:`{dst_label}` {{{dst_key}: row.d}}) DELETE r"
        )

        def work(tx: ManagedTransaction) -> list[SummaryCounters]:
            out = []
            if ended:
                out.append(tx.run(_q(delete), rows=ended).consume().counters)
            if active:
                out.append(tx.run(_q(upsert), rows=active).consume().counters)
            return out

        with self.driver.session() as session:
            for counters in session.execute_write(work):
                counts.add(counters)

    # -- GDS --------------------------------------------------------------------------------

    def projection_prefix(self) -> str:
        return f"{self.config.label_prefix}socialpulse_"

    def projections(self) -> list[str]:
        """Names of this namespace's GDS projections that exist now."""
        records, _, _ = self.driver.execute_query(
            "CALL gds.graph.list() YIELD graphName RETURN graphName"
        )
        prefix = self.projection_prefix()
        return [r["graphName"] for r in records if r["graphName"].startswith(prefix)]

    def drop_projection(self, name: str) -> None:
        self.driver.execute_query(
            "CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName", name=name
        )

    def remove(self) -> None:
        """Everything of this namespace: its projections, nodes, relationships, constraints."""
        for name in self.projections():
            self.drop_projection(name)
        self.wipe()
        self.drop_schema()

    def max_heap(self) -> tuple[int, int]:
        """(max heap, available heap) of the Neo4j JVM in bytes, from gds.debug.sysInfo."""
        records, _, _ = self.driver.execute_query(
            "CALL gds.debug.sysInfo() YIELD key, value "
            "WITH key, value WHERE key IN ['heapMaxInBytes', 'availableHeapInBytes'] "
            "RETURN key, value"
        )
        info = {r["key"]: int(r["value"]) for r in records}
        return info["heapMaxInBytes"], info["availableHeapInBytes"]

    def _check_memory(self, what: str, bytes_max: int, required: str) -> None:
        heap_max, available = self.max_heap()
        budget = int(min(heap_max * self.config.max_heap_share, available))
        log.info(
            "%s needs %s (max %d bytes); heap max %d, available %d, budget %d",
            what,
            required,
            bytes_max,
            heap_max,
            available,
            budget,
        )
        if bytes_max > budget:
            raise GraphMemoryError(
                f"{what} needs up to {bytes_max} bytes ({required}) but the budget is {budget} "
                f"of a {heap_max}-byte heap: raise server.memory.heap.max_size or shrink the graph"
            )

    def relationship_projection(self) -> dict[str, dict[str, str]]:
        """The projected types that exist in the database (GDS rejects unknown types)."""
        records, _, _ = self.driver.execute_query(
            "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType"
        )
        known = {r["relationshipType"] for r in records}
        return {k: v for k, v in PAGERANK_PROJECTION.items() if v["type"] in known}

    def estimate_projection(self) -> int:
        records, _, _ = self.driver.execute_query(
            "CALL gds.graph.project.estimate($label, $rels) "
            "YIELD requiredMemory, bytesMax RETURN requiredMemory, bytesMax",
            label=self.user,
            rels=self.relationship_projection(),
        )
        bytes_max = int(records[0]["bytesMax"])
        self._check_memory("projection", bytes_max, records[0]["requiredMemory"])
        return bytes_max

    def project(self, name: str) -> dict[str, int]:
        """Native projection: users, friendships UNDIRECTED, follows NATURAL (groups left out)."""
        records, _, _ = self.driver.execute_query(
            "CALL gds.graph.project($name, $label, $rels) "
            "YIELD nodeCount, relationshipCount, projectMillis "
            "RETURN nodeCount, relationshipCount, projectMillis",
            name=name,
            label=self.user,
            rels=self.relationship_projection(),
        )
        return dict(records[0])

    def estimate_pagerank(self, name: str, params: PageRankParams) -> int:
        records, _, _ = self.driver.execute_query(
            "CALL gds.pageRank.mutate.estimate($name, $config) "
            "YIELD requiredMemory, bytesMax RETURN requiredMemory, bytesMax",
            name=name,
            config={**params.gds_config(), "mutateProperty": "pagerank"},
        )
        bytes_max = int(records[0]["bytesMax"])
        self._check_memory("pageRank", bytes_max, records[0]["requiredMemory"])
        return bytes_max

    def pagerank(self, name: str, params: PageRankParams) -> dict[str, Any]:
        """PageRank into the projection (mutate): iterations and convergence are reported."""
        records, _, _ = self.driver.execute_query(
            "CALL gds.pageRank.mutate($name, $config) "
            "YIELD ranIterations, didConverge, computeMillis "
            "RETURN ranIterations, didConverge, computeMillis",
            name=name,
            config={**params.gds_config(), "mutateProperty": "pagerank"},
        )
        return dict(records[0])

    def centrality(self, name: str) -> Iterator[tuple[int, float, int, int, int, int]]:
        """(user_id, pagerank, friends, followers, following, groups) of every user."""
        query = (
            "CALL gds.graph.nodeProperty.stream($name, 'pagerank') YIELD nodeId, propertyValue "
            "WITH gds.util.asNode(nodeId) AS u, propertyValue AS pagerank "
            "RETURN u.user_id AS user_id, pagerank, "
            "COUNT { (u)-[:FRIENDS_WITH]-() } AS friends, "
            "COUNT { (u)<-[:FOLLOWS]-() } AS followers, "
            "COUNT { (u)-[:FOLLOWS]->() } AS following, "
            "COUNT { (u)-[:MEMBER_OF]->() } AS groups"
        )
        with self.driver.session() as session:
            for r in session.run(query, name=name):
                yield (
                    int(r["user_id"]),
                    float(r["pagerank"]),
                    int(r["friends"]),
                    int(r["followers"]),
                    int(r["following"]),
                    int(r["groups"]),
                )

    def depth_exact(self, name: str) -> dict[int, int]:
        """Shortest-path length -> ordered pairs (s != t, reachable), over all sources (MSBFS)."""
        records, _, _ = self.driver.execute_query(
            "CALL gds.allShortestPaths.stream($name, {relationshipTypes: $types}) "
            "YIELD distance RETURN toInteger(distance) AS depth, count(*) AS pairs",
            name=name,
            types=DEPTH_TYPES,
        )
        return {int(r["depth"]): int(r["pairs"]) for r in records}

    def depth_sampled(self, name: str, sources: Iterable[int]) -> dict[int, int]:
        """The same, from the given source users only (one BFS each, aggregated in Neo4j)."""
        records, _, _ = self.driver.execute_query(
            _q(
                f"UNWIND $sources AS id MATCH (s:`{self.user}` {{user_id: id}}) "
                "CALL gds.allShortestPaths.delta.stream($name, "
                "{sourceNode: s, relationshipTypes: $types}) YIELD totalCost "
                "WITH totalCost WHERE totalCost > 0 "
                "RETURN toInteger(totalCost) AS depth, count(*) AS pairs"
            ),
            name=name,
            sources=list(sources),
            types=DEPTH_TYPES,
        )
        return {int(r["depth"]): int(r["pairs"]) for r in records}


def sample_sources(user_ids: Sequence[int], k: int, seed: int) -> list[int]:
    """``k`` distinct users, reproducibly for a given seed and user set."""
    ordered = sorted(user_ids)
    if k >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, k))
