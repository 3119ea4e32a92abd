"""What the graph job reads, where it writes, and the algorithm parameters.

Every default is the production one; tests and the benchmark override the schemas, the
database and the label prefix so they never touch the warehouse's graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class PageRankParams:
    """GDS PageRank configuration (unweighted; see docs/graph.md for why)."""

    damping: float = 0.85
    max_iterations: int = 40
    tolerance: float = 1e-7

    def gds_config(self) -> dict[str, object]:
        return {
            "dampingFactor": self.damping,
            "maxIterations": self.max_iterations,
            "tolerance": self.tolerance,
        }


@dataclass(frozen=True)
class DepthParams:
    """Friendship depth: exact (every user a BFS source) up to ``exact_max_users``, else sampled."""

    exact_max_users: int = 2_000
    sample_sources: int = 32
    seed: int = 42


@dataclass(frozen=True)
class GraphJobConfig:
    """Where the job reads and writes.

    ``vault_schema``    schema of hub_user, hub_group and the eff_sat_* tables (dbt's raw_vault)
    ``results_schema``  schema of the result tables (runs, user_centrality, friendship_depth,
                        sync_state) that dbt reads as the ``graph`` source
    ``label_prefix``    prefixed to the node labels (``User``, ``Group``) so a test or benchmark
                        graph lives beside the real one in the single Community database
    ``dsn``             PostgreSQL DSN of the vault and the results (default: the warehouse)
    ``lookback``        re-read this much before the sync watermark (MERGEs make it harmless).
                        The vault no longer needs one (each dbt load of a vault table holds
                        only rows above everything it held, one snapshot bound per run:
                        docs/data_vault.md), so it is a safety margin that could be 0
    """

    vault_schema: str = "raw_vault"
    results_schema: str = "graph"
    label_prefix: str = ""
    dsn: str | None = None
    batch_size: int = 10_000
    lookback: timedelta = timedelta(hours=1)
    pagerank: PageRankParams = field(default_factory=PageRankParams)
    depth: DepthParams = field(default_factory=DepthParams)
    #: Succeeded runs kept in the results schema (older runs are deleted with their rows).
    keep_runs: int = 30
    #: Refuse to project / run PageRank when GDS estimates more than this share of the max heap.
    max_heap_share: float = 0.8

    def __post_init__(self) -> None:
        for name in (self.vault_schema, self.results_schema):
            if not _NAME.match(name):
                raise ValueError(f"not a plain SQL identifier: {name!r}")
        if self.label_prefix and not _NAME.match(self.label_prefix):
            raise ValueError(f"label_prefix must be letters, digits, _: {self.label_prefix!r}")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")

    @property
    def user_label(self) -> str:
        return f"{self.label_prefix}User"

    @property
    def group_label(self) -> str:
        return f"{self.label_prefix}Group"
