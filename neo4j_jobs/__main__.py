"""``python -m neo4j_jobs [--full]``: run the graph job by hand and print its summary."""

from __future__ import annotations

import argparse
import json
import logging

from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.run import sync_and_rank


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m neo4j_jobs",
        description="Sync the vault's social graph into Neo4j, run PageRank and friendship "
        "depth, and publish the results to PostgreSQL (schema graph).",
    )
    parser.add_argument("--full", action="store_true", help="rebuild the graph from the vault")
    parser.add_argument("--vault-schema", default="raw_vault")
    parser.add_argument("--results-schema", default="graph")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    config = GraphJobConfig(
        vault_schema=args.vault_schema,
        results_schema=args.results_schema,
        batch_size=args.batch_size,
    )
    summary = sync_and_rank(config=config, full=args.full)
    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
