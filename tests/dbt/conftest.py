"""A small world generated, ingested and built into a vault in its own database.

The database ``socialpulse_dbt_test`` is dropped and re-created per session, migrated with
the ingestion migrations and loaded through the real pipeline (MinIO -> raw); dbt runs
against it through ``POSTGRES_DB`` with its artifacts in a temporary target path, so
neither the warehouse nor ``dbt_project/target`` (Airflow's manifest) is touched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import psycopg
import pytest

from socialpulse.settings import Settings
from socialpulse.transform.project import run_dbt
from socialpulse.transform.world import (
    LoadedWorld,
    ensure_database,
    generate_and_ingest,
    remove_prefix,
)

TEST_DB = "socialpulse_dbt_test"
USERS = 300
MINUTES = 120
#: Files of these minutes (from the start) are held back and loaded after the first build.
LATE_MINUTES = range(60, 65)


@dataclass
class VaultWorld:
    dsn: str
    world: LoadedWorld
    target_path: Path
    late_minutes: list[str]
    build: CompletedProcess[str]
    env: dict[str, str] = field(default_factory=dict)

    def dbt(self, *args: str, check: bool = True) -> CompletedProcess[str]:
        return run_dbt(list(args), env=self.env, target_path=self.target_path, check=check)

    def is_late(self, key: str) -> bool:
        return any(minute in key for minute in self.late_minutes)

    def run_results(self) -> list[dict[str, Any]]:
        doc = json.loads((self.target_path / "run_results.json").read_text())
        return list(doc["results"])


def table_counts(dsn: str) -> dict[str, int]:
    """Row count of every table of the vault schemas."""
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw_vault', 'business_vault') AND table_type = 'BASE TABLE'"
        ).fetchall()
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for (t,) in tables
        }


@pytest.fixture(scope="session")
def vault_world(
    started_service: Callable[[str], Any],
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[VaultWorld]:
    started_service("postgres")
    started_service("minio")
    dsn = ensure_database(TEST_DB, settings, fresh=True)
    start = (datetime.now(UTC) - timedelta(minutes=MINUTES + 90)).replace(second=0, microsecond=0)
    late = [(start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M") for m in LATE_MINUTES]
    world = generate_and_ingest(
        dsn,
        users=USERS,
        minutes=MINUTES,
        seed=5,
        start=start,
        settings=settings,
        skip=lambda key: any(minute in key for minute in late),
    )
    target_path = tmp_path_factory.mktemp("dbt_target")
    env = {"POSTGRES_DB": TEST_DB}
    build = run_dbt(["build", "--full-refresh"], env=env, target_path=target_path, check=False)
    yield VaultWorld(dsn, world, target_path, late, build, env)
    remove_prefix(world.prefix, settings=settings)
