"""A private corner of the real stack per test: scratch vault + results schemas, label prefix.

The vault-shaped tables live in the database ``socialpulse_graph_test`` (never the warehouse),
in a schema per test, and the graph under a label prefix per test (``T<hex>_User``), so the
tests share Neo4j and PostgreSQL with each other and with a dev graph without clashing. Each
test's nodes, constraints, projections and schemas are removed afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from graph_world import GraphWorld
from neo4j import Driver, GraphDatabase
from psycopg import sql

from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.scratch import ScratchVault
from socialpulse.settings import Settings

TEST_DB = "socialpulse_graph_test"

pytestmark = pytest.mark.stack


@pytest.fixture(scope="session")
def graph_dsn(started_service: Callable[[str], Any], settings: Settings) -> str:
    started_service("postgres")
    with psycopg.connect(settings.postgres_dsn("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DB,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEST_DB)))
    return settings.postgres_dsn(TEST_DB)


@pytest.fixture(scope="session")
def driver(started_service: Callable[[str], Any], settings: Settings) -> Iterator[Driver]:
    started_service("neo4j")
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(settings.neo4j_uri, auth=auth) as drv:
        drv.verify_connectivity()
        yield drv


@pytest.fixture
def world(graph_dsn: str, driver: Driver, settings: Settings) -> Iterator[GraphWorld]:
    tag = uuid.uuid4().hex[:10]
    vault = ScratchVault(graph_dsn, f"gvault_{tag}")
    vault.create()
    config = GraphJobConfig(
        vault_schema=vault.schema,
        results_schema=f"graph_{tag}",
        label_prefix=f"T{tag}_",
        dsn=graph_dsn,
    )
    world = GraphWorld(settings, config, vault, driver, datetime.now(UTC) - timedelta(days=1))
    try:
        yield world
    finally:
        world.store.remove()
        vault.drop()
        with psycopg.connect(graph_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(config.results_schema)
                )
            )
