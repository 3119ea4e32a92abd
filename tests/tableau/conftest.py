"""A scratch ClickHouse database per test module (``tableau_test_<hex>``), dropped at the end.

Created by the pipeline user: the analyst may only read ``marts``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from clickhouse_connect.driver.client import Client
from tableau_world import create_table, fill_every_type

from infra.stack.clickhouse import ClickHouseService


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
