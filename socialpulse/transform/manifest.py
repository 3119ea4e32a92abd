"""Write ``dbt_project/target/manifest.json`` with ``dbt parse`` (no database needed).

It is parsed for the ClickHouse target: the marts are enabled only there, and the vault
nodes are in every target's manifest, so the one manifest holds the whole lineage.

Cosmos renders the ``transform`` DAG from this file (``LoadMode.DBT_MANIFEST``), so it must
exist before Airflow parses the DAG: ``make setup`` runs ``python -m
socialpulse.transform.manifest``; run it again after changing models.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from socialpulse.transform.project import MANIFEST_PATH, run_dbt

log = logging.getLogger(__name__)


def build_manifest(target: str = "ch") -> Path:
    """Run ``dbt parse`` for ``target``; returns the manifest path."""
    started = time.perf_counter()
    run_dbt(["parse"], target=target)
    if not MANIFEST_PATH.exists():
        raise FileNotFoundError(f"dbt parse did not write {MANIFEST_PATH}")
    log.info("wrote %s in %.1f s", MANIFEST_PATH, time.perf_counter() - started)
    return MANIFEST_PATH


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="ch", help="dbt target (default: ch)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    path = build_manifest(args.target)
    print(f"{path} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
