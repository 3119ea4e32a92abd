"""``GraphWorld``: one test's scratch vault, job config and handles (see conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg
from neo4j import Driver

from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.graph import GraphStore
from neo4j_jobs.run import sync_and_rank
from neo4j_jobs.scratch import ScratchVault
from socialpulse.settings import Settings


@dataclass
class GraphWorld:
    """One test's vault, config and handles; ``run()`` is the job under test."""

    settings: Settings
    config: GraphJobConfig
    vault: ScratchVault
    driver: Driver
    #: load_ts of the initial data: a day old, so only later changes pass the watermark.
    loaded: datetime

    @property
    def store(self) -> GraphStore:
        return GraphStore(self.driver, self.config)

    def run(self, **overrides: Any) -> dict[str, Any]:
        full = overrides.pop("full", False)
        settings = overrides.pop("settings", self.settings)
        config = replace(self.config, **overrides) if overrides else self.config
        return sync_and_rank(settings, config, full=full)

    def query(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of a query on the results schema (``{g}`` stands for its name)."""
        assert self.config.dsn is not None
        with psycopg.connect(self.config.dsn) as conn:
            return conn.execute(
                statement.format(g=self.config.results_schema),
                params,
            ).fetchall()

    def latest_centrality(self) -> dict[int, tuple[Any, ...]]:
        rows = self.query(
            "SELECT user_id, pagerank, pagerank_rank, friends, followers, following, groups "
            "FROM {g}.user_centrality WHERE run_id = (SELECT run_id FROM {g}.latest_run)"
        )
        return {r[0]: r[1:] for r in rows}

    def latest_depth(self) -> list[tuple[Any, ...]]:
        return self.query(
            "SELECT depth, pairs, sampled_sources, exact FROM {g}.friendship_depth "
            "WHERE run_id = (SELECT run_id FROM {g}.latest_run) ORDER BY depth"
        )
