"""The dbt docs site: generate it (``dbt docs generate``) and serve it on a local port.

    python -m socialpulse.transform.docs serve --port 8081      # generate, then serve
    python -m socialpulse.transform.docs serve --no-generate    # serve what is there
    python -m socialpulse.transform.docs generate               # only write the site
    python -m socialpulse.transform.docs screenshot             # docs/images/dbt_lineage.png

The site is ``index.html`` + ``manifest.json`` + ``catalog.json`` in ``dbt_project/target``;
the catalog needs the warehouse (column types), the manifest does not.

The stack's ``dbt-docs`` service (:class:`LiveSite`) serves its own copy under
``<state_dir>/dbt-docs`` and regenerates it after each completed ``transform`` run, so the
catalog follows the warehouse while the pipeline runs.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg

from socialpulse.settings import REPO_ROOT, Settings
from socialpulse.transform.project import DBT_TARGET_DIR, run_dbt

log = logging.getLogger(__name__)

SITE_FILES = ("index.html", "manifest.json", "catalog.json")
#: The lineage screenshot of the docs: raw source -> staging model -> hub and satellites.
SCREENSHOT = REPO_ROOT / "docs" / "images" / "dbt_lineage.png"
SCREENSHOT_MODEL = "stg_events__user_registered"


def generate(
    target_path: Path | None = None,
    env: dict[str, str] | None = None,
    *,
    prefix: str = "",
    pg_database: str | None = None,
    empty_catalog: bool = False,
) -> Path:
    """Run ``dbt docs generate`` on the ClickHouse target; returns the site's directory.

    On ClickHouse the catalog holds the marts and, through the PostgreSQL-engine mirrors
    (created first), the vault they read: one lineage from raw to marts. ``prefix`` and
    ``pg_database`` select other mirrors (tests), as in ``socialpulse.transform.marts``.
    ``empty_catalog``: the site from the project alone (lineage, descriptions, no column
    types), for a warehouse that has no vault yet.
    """
    from socialpulse.transform.marts import dbt_vars

    args = dbt_vars(prefix, pg_database)
    ch = {"env": env, "target": "ch", "target_path": target_path}
    if empty_catalog:  # neither step queries a database
        run_dbt(["parse", *args], **ch)  # type: ignore[arg-type]
        run_dbt(["docs", "generate", "--no-compile", "--empty-catalog", *args], **ch)  # type: ignore[arg-type]
    else:
        run_dbt(["run-operation", "create_vault_mirrors", *args], **ch)  # type: ignore[arg-type]
        run_dbt(["docs", "generate", *args], **ch)  # type: ignore[arg-type]
    site = target_path or DBT_TARGET_DIR
    missing = [f for f in SITE_FILES if not (site / f).exists()]
    if missing:
        raise FileNotFoundError(f"dbt docs generate did not write {missing} in {site}")
    return site


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("docs: " + format, *args)


def make_server(site: Path, host: str = "127.0.0.1", port: int = 8081) -> ThreadingHTTPServer:
    """An HTTP server for the site directory (port 0 picks a free port)."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    return ThreadingHTTPServer((host, port), handler)


@contextmanager
def serving(site: Path, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``site`` in a background thread; yields the base URL."""
    server = make_server(site, host, port)
    thread = threading.Thread(target=server.serve_forever, name="dbt-docs", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


_LAST_COMPLETED_SQL = """
SELECT max(completed_at) FROM raw.load_snapshots WHERE consumer = 'transform'
"""


class LiveSite:
    """The site the ``dbt-docs`` service serves, regenerated after each completed transform.

    Each generation is written to its own directory, then the ``current`` symlink is swapped
    to it in one rename, so a reader never sees a half-written catalog; older generations
    are removed. Completions that arrive during a generation are coalesced into the next one.
    """

    def __init__(self, settings: Settings, root: Path | None = None) -> None:
        self.settings = settings
        self.root = root or settings.state_dir / "dbt-docs"
        self.current = self.root / "current"
        self.generated_for: datetime | None = None

    def last_completed_transform(self) -> datetime | None:
        try:
            with psycopg.connect(self.settings.warehouse_dsn, connect_timeout=5) as conn:
                row = conn.execute(_LAST_COMPLETED_SQL).fetchone()
        except psycopg.Error as exc:  # no raw schema yet, or the warehouse restarts
            log.info("docs: cannot read the last transform run yet: %s", exc)
            return None
        return row[0] if row else None

    def regenerate(self, *, empty_catalog: bool = False) -> Path:
        """Generate into a new directory and make it current; returns it."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / f"gen-{time.time_ns()}"
        started = time.perf_counter()
        generate(target_path=target, empty_catalog=empty_catalog)
        link = self.root / "current.new"
        link.unlink(missing_ok=True)
        link.symlink_to(target.name)
        os.replace(link, self.current)
        for old in self.root.glob("gen-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        log.info("docs regenerated in %.0f s: %s", time.perf_counter() - started, target)
        return target

    def refresh_once(self) -> bool:
        """Regenerate if a transform completed since the last generation (or none exists)."""
        completed = self.last_completed_transform()
        if self.current.exists() and (completed is None or completed == self.generated_for):
            return False
        self.regenerate()
        self.generated_for = completed
        return True

    def refresh_forever(self, stop: threading.Event, interval_s: float = 15.0) -> None:
        while not stop.is_set():
            try:
                self.refresh_once()
            except Exception as exc:  # keep serving the last good site
                log.error("docs: regeneration failed, serving the previous site: %s", exc)
            stop.wait(interval_s)

    def serve_forever(self, host: str, port: int) -> None:
        """Serve ``current`` and keep it fresh until interrupted (SIGINT/SIGTERM)."""
        stop = threading.Event()
        if not self.current.exists():
            try:
                self.refresh_once()
            except Exception as exc:  # no vault yet: the project's site now, types later
                log.warning("docs: no catalog yet (%s); serving the project without it", exc)
                self.regenerate(empty_catalog=True)
        refresher = threading.Thread(
            target=self.refresh_forever, args=(stop,), name="docs-refresh", daemon=True
        )
        refresher.start()
        server = make_server(self.current, host, port)
        log.info("dbt docs on http://%s:%d", host, server.server_address[1])
        try:
            server.serve_forever()
        finally:
            stop.set()
            server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dbt docs site of the SocialPulse project")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("generate", help="run dbt docs generate")
    serve = sub.add_parser("serve", help="generate (unless --no-generate) and serve the site")
    serve.add_argument("--host", default="127.0.0.1", help="0.0.0.0 in a container")
    serve.add_argument("--port", type=int, default=8081)
    serve.add_argument("--no-generate", action="store_true", help="serve the existing site")
    shot = sub.add_parser("screenshot", help=f"screenshot a lineage graph to {SCREENSHOT}")
    shot.add_argument("--model", default=SCREENSHOT_MODEL)
    shot.add_argument("--output", type=Path, default=SCREENSHOT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    if args.command == "screenshot":
        from socialpulse.transform.docs_browser import chromium, lineage_screenshot

        with serving(DBT_TARGET_DIR) as url, chromium() as driver:
            nodes = lineage_screenshot(driver, url, args.model, args.output)
        log.info("wrote %s (%d nodes)", args.output, len(nodes))
        return 0
    if args.command == "generate" or not getattr(args, "no_generate", False):
        site = generate()
        log.info("dbt docs written to %s", site)
        if args.command == "generate":
            return 0
    server = make_server(DBT_TARGET_DIR, args.host, args.port)
    log.info("dbt docs on http://%s:%d (Ctrl-C stops)", args.host, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
