"""The dashboard previews (``docs/images/dashboard_*.png``) from a realistic world.

    python -m socialpulse.tableau.preview_world                         # 3,000 users, 14 days
    python -m socialpulse.tableau.preview_world --users 2000 --days 14 --out /tmp/previews

Builds a world beside the developer's own (PostgreSQL database ``socialpulse_preview``, MinIO
prefix ``preview-…/``, its own Neo4j labels, ClickHouse ``preview_marts``) through the real
pipeline: generator, ingestion, the vault (dbt), the graph job, the marts (dbt-clickhouse).
Then it extracts every mart (as ``CLICKHOUSE_USER``: the analyst reads only ``marts``) and
draws the dashboards from the extracts, as ``socialpulse.tableau.previews`` does. The world
ends at the last UTC midnight, so every day is complete. The minute files and the Neo4j nodes
are deleted at the end; the database and ``preview_marts`` stay for a look (the next run
replaces them).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from socialpulse.settings import REPO_ROOT, get_settings

DATABASE = "socialpulse_preview"
PREFIX = "preview_"
IMAGES = REPO_ROOT / "docs" / "images"


def main(argv: list[str] | None = None) -> int:
    from socialpulse.tableau.extracts import connect, extract_database
    from socialpulse.tableau.previews import render
    from socialpulse.transform.world import build_scratch_marts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=IMAGES, help="where the PNGs go")
    args = parser.parse_args(argv)
    settings = get_settings()
    started = time.perf_counter()

    def step(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)

    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="preview-dbt-") as target:
        scratch = build_scratch_marts(
            settings, database=DATABASE, prefix=PREFIX, users=args.users,
            minutes=args.days * 24 * 60, seed=args.seed,
            start=midnight - timedelta(days=args.days), target_path=Path(target), on_step=step,
        )  # fmt: skip
    scratch.remove_objects()
    scratch.remove_graph()
    with tempfile.TemporaryDirectory(prefix="preview-extracts-") as extracts:
        step(f"extract {scratch.marts_database}")
        client = connect(settings, settings.clickhouse_user)
        try:
            extract_database(client, scratch.marts_database, Path(extracts))
        finally:
            client.close()
        step(f"draw the dashboards into {args.out}")
        for path in render(Path(extracts), args.out):
            print(f"  {path}")
    step(f"done; the world stays in PostgreSQL {DATABASE} and ClickHouse {scratch.marts_database}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
