"""The dashboard previews (``docs/images/dashboard_*.png``) from a realistic world.

    python -m socialpulse.tableau.preview_world                         # 3,000 users, 14 days
    python -m socialpulse.tableau.preview_world --users 2000 --days 14 --out /tmp/previews

Builds a world beside the developer's own (PostgreSQL database ``socialpulse_preview``, MinIO
prefix ``preview-…/``, its own Neo4j labels, ClickHouse ``preview_marts``) through the real
pipeline: generator, ingestion, the vault (dbt), the graph job, the marts (dbt-clickhouse).
Then it extracts every mart (as ``CLICKHOUSE_USER``: the analyst reads only ``marts``) and
draws the dashboards from the extracts, as ``socialpulse.tableau.previews`` does. The world
ends at the last UTC midnight, so every day is complete; it is loaded today, and "now" in the
marts is the load's snapshot bound, so the daily marts also hold today, a day without events:
it is cut off before drawing. The minute files and the Neo4j nodes are deleted at the end;
the database and ``preview_marts`` stay for a look (the next run replaces them), and
``--draw-only`` draws again from them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from socialpulse.settings import REPO_ROOT, Settings, get_settings

DATABASE = "socialpulse_preview"
PREFIX = "preview_"
MARTS_DATABASE = f"{PREFIX}marts"
IMAGES = REPO_ROOT / "docs" / "images"


def main(argv: list[str] | None = None) -> int:
    from socialpulse.transform.world import build_scratch_marts

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=IMAGES, help="where the PNGs go")
    parser.add_argument(
        "--draw-only", action="store_true", help=f"draw again from the kept {MARTS_DATABASE}"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    started = time.perf_counter()

    def step(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)

    if not args.draw_only:
        midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        with tempfile.TemporaryDirectory(prefix="preview-dbt-") as target:
            scratch = build_scratch_marts(
                settings, database=DATABASE, prefix=PREFIX, users=args.users,
                minutes=args.days * 24 * 60, seed=args.seed,
                start=midnight - timedelta(days=args.days), target_path=Path(target),
                on_step=step,
            )  # fmt: skip
        scratch.remove_objects()
        scratch.remove_graph()
    draw(settings, args.out, step)
    step(f"done; the world stays in PostgreSQL {DATABASE} and ClickHouse {MARTS_DATABASE}")
    return 0


def draw(settings: Settings, out: Path, step: Callable[[str], None]) -> None:
    """Cut the world's daily marts at its end, extract them and draw the dashboards."""
    from socialpulse.tableau.extracts import connect, extract_database
    from socialpulse.tableau.previews import render

    client = connect(settings, settings.clickhouse_user)
    try:
        end = client.command(
            f"SELECT max(toDate(created_at)) + 1 FROM {MARTS_DATABASE}.mart_post_virality"
        )
        step(f"cut the daily marts of {MARTS_DATABASE} at {end} (the world's end)")
        for table in client.query(
            "SELECT table FROM system.columns WHERE database = {db:String} AND name = 'activity_date'",
            parameters={"db": MARTS_DATABASE},
        ).result_columns[0]:
            client.command(f"DELETE FROM {MARTS_DATABASE}.{table} WHERE activity_date >= '{end}'")
        with tempfile.TemporaryDirectory(prefix="preview-extracts-") as extracts:
            step(f"extract {MARTS_DATABASE}")
            extract_database(client, MARTS_DATABASE, Path(extracts))
            step(f"draw the dashboards into {out}")
            for path in render(Path(extracts), out):
                print(f"  {path}")
    finally:
        client.close()


if __name__ == "__main__":
    raise SystemExit(main())
