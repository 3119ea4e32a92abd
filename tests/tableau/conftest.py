"""Fixtures of the Tableau tests.

- ``scratch_db``: a scratch ClickHouse database per module (``tableau_test_<hex>``) with a
  table of every column type the marts use, dropped at the end (created by the pipeline
  user: the analyst may only read ``marts``).
- ``published_marts``: real marts built from a generated world and copied into ``marts``
  of the test stack, where the analyst (Tableau's user) reads them (see marts_world.py).
- ``probe``: the Java JDBC client of tests/jdbc, built once with the driver Tableau uses.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from jdbc_probe import TABLEAU_DRIVER, Probe, build
from marts_world import PublishedMarts, publish_marts
from tableau_world import create_table, fill_every_type

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings


@pytest.fixture(scope="module")
def admin(clickhouse: ClickHouseService) -> Iterator[Client]:
    client = clickhouse.client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def scratch_db(admin: Client) -> Iterator[str]:
    """``tableau_test_<hex>`` with ``every_type`` (4000 rows in 3 parts) and ``empty_mart``."""
    db = f"tableau_test_{uuid.uuid4().hex[:10]}"
    admin.command(f"CREATE DATABASE {db}")
    try:
        fill_every_type(admin, f"{db}.every_type")
        create_table(admin, f"{db}.empty_mart", {"activity_date": "Date", "dau": "UInt64"})
        yield db
    finally:
        admin.command(f"DROP DATABASE IF EXISTS {db} SYNC")


@pytest.fixture(scope="session")
def published_marts(
    started_service: Callable[[str], Any],
    settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PublishedMarts]:
    for name in ("postgres", "minio", "clickhouse", "neo4j"):
        started_service(name)
    published = publish_marts(settings, tmp_path_factory.mktemp("tableau_dbt_target"))
    yield published
    published.remove()


@pytest.fixture(scope="session")
def probe(settings: Settings) -> Probe:
    return build(settings, *TABLEAU_DRIVER)
