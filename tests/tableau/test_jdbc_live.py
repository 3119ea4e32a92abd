"""The live path, Tableau Desktop -> ClickHouse, with the real ClickHouse JDBC driver.

A small Java client (tests/jdbc) loads the driver Tableau's ClickHouse connector requires
(0.9.9, the all-dependencies jar) and connects as the analyst over HTTP with the driver's
default properties, like a Tableau user who only fills in server, port, user and password.
It makes the metadata calls Tableau makes first, runs every dashboard sheet's query, and
tries what the analyst must not do. The expectations are here: the marts and their column
types as ClickHouse has them, each sheet's result as the pipeline user reads it over another
client, and a refusal (no grant, or read-only) for every write, DDL, mirror read, named
collection use and setting change.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from clickhouse_connect.driver.client import Client
from jdbc_probe import TABLEAU_DRIVER, Probe
from marts_world import PublishedMarts

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings
from socialpulse.tableau.dashboards import MARTS_DATABASE, WORKBOOK

pytestmark = [pytest.mark.stack, pytest.mark.slow]

ACCESS_DENIED, READONLY = 497, 164
#: Tableau's ClickHouse connector (connectionBuilder.js) always asks for join_use_nulls=1 and,
#: with "Set Session ID" (the default), a session of its own
CONNECTOR_PARAMS = (
    "clickhouse_setting_join_use_nulls=1&clickhouse_setting_session_id=tableau-jdbc-connector-{}-1"
)


def refusals(mirror_tables: list[str]) -> dict[str, tuple[str, set[int]]]:
    """name -> (statement, the error codes that count as refused)."""
    topics = f"{MARTS_DATABASE}.mart_topics"
    by_grant, by_readonly = {ACCESS_DENIED}, {READONLY}
    statements = {
        "insert": (f"INSERT INTO {topics} (topic) VALUES ('mallory')", by_grant),
        "insert_select": (f"INSERT INTO {topics} SELECT * FROM {topics}", by_grant),
        "create_table": (
            f"CREATE TABLE {MARTS_DATABASE}.jdbc_probe (x UInt8) ENGINE = Memory",
            by_grant,
        ),
        "create_temporary_table": ("CREATE TEMPORARY TABLE jdbc_probe (x UInt8)", by_grant),
        "create_view": (f"CREATE VIEW {MARTS_DATABASE}.jdbc_probe AS SELECT 1", by_grant),
        "drop_table": (f"DROP TABLE {topics}", by_grant),
        "truncate": (f"TRUNCATE TABLE {topics}", by_grant),
        "alter_delete": (f"ALTER TABLE {topics} DELETE WHERE 1", by_grant),
        "lightweight_delete": (f"DELETE FROM {topics} WHERE 1", by_grant),
        "alter_add_column": (f"ALTER TABLE {topics} ADD COLUMN x UInt8", by_grant),
        "optimize": (f"OPTIMIZE TABLE {topics} FINAL", by_grant),
        "create_database": ("CREATE DATABASE jdbc_probe", by_grant),
        "create_user": ("CREATE USER mallory", by_grant),
        "named_collection_postgresql": (
            "SELECT * FROM postgresql(socialpulse_pg, schema = 'raw_vault', table = 'hub_user') LIMIT 1",
            by_grant,
        ),
        "named_collections_listed": ("SELECT * FROM system.named_collections", by_grant),
        "file_read": ("SELECT * FROM file('x.csv', 'CSV', 'a String')", by_grant),
        "file_write": (
            "INSERT INTO FUNCTION file('x.csv', 'CSV', 'a String') VALUES ('x')",
            by_grant,
        ),
        "url_read": ("SELECT * FROM url('http://127.0.0.1:1/', 'CSV', 'a String')", by_grant),
        "remote_read": ("SELECT * FROM remote('127.0.0.1', system.one)", by_grant),
        "set_readonly": ("SET readonly = 0", by_readonly),
        "set_memory": ("SET max_memory_usage = 1", by_readonly),
        "settings_clause_readonly": ("SELECT 1 SETTINGS readonly = 0", by_readonly),
        "settings_clause_threads": ("SELECT 1 SETTINGS max_threads = 64", by_readonly),
        "set_compression": ("SET network_compression_method = 'ZSTD'", by_readonly),
    }
    for table in mirror_tables:  # the vault mirrors (PostgreSQL engine): personal data
        statements[f"mirror {table}"] = (f"SELECT * FROM {table} LIMIT 1", by_grant)
    return statements


@pytest.fixture(scope="module")
def admin_client(clickhouse: ClickHouseService) -> Iterator[Client]:
    client = clickhouse.client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def mirror_tables(published_marts: PublishedMarts, admin_client: Client) -> list[str]:
    rows = admin_client.query(
        "SELECT database, min(name) FROM system.tables WHERE database IN "
        "(SELECT name FROM system.databases WHERE engine = 'PostgreSQL') GROUP BY database "
        "ORDER BY database"
    ).result_rows
    assert len(rows) >= 3, rows  # raw_vault, business_vault, graph (staging: views)
    return [f"{db}.{table}" for db, table in rows]


@pytest.fixture(scope="module")
def snapshot_of_marts(admin_client: Client) -> Any:
    def take() -> list[tuple[Any, ...]]:
        return list(
            admin_client.query(
                "SELECT database, name, total_rows, metadata_modification_time FROM system.tables "
                "WHERE database = {db:String} OR name = 'jdbc_probe' OR database = 'jdbc_probe' "
                "ORDER BY database, name",
                parameters={"db": MARTS_DATABASE},
            ).result_rows
        )

    return take


@pytest.fixture(scope="module")
def events(
    published_marts: PublishedMarts,
    probe: Probe,
    settings: Settings,
    mirror_tables: list[str],
    snapshot_of_marts: Any,
) -> dict[str, Any]:
    """One probe run: default connection (metadata, sheets, refusals), then the connector's."""
    host, port, user = (
        settings.clickhouse_host,
        settings.clickhouse_http_port,
        settings.clickhouse_analyst_user,
    )
    plan: list[list[str]] = [
        ["connect", "default", f"jdbc:clickhouse://{host}:{port}/{MARTS_DATABASE}", user],
        ["metadata", MARTS_DATABASE],
    ]
    plan += [["query", sheet.name, sheet.sql()] for sheet in WORKBOOK.sheets]
    plan += [["refuse", name, sql] for name, (sql, _) in refusals(mirror_tables).items()]
    plan += [
        [
            "connect",
            "connector",
            f"jdbc:clickhouse://{host}:{port}/?{CONNECTOR_PARAMS.format(int(time.time()))}",
            user,
        ],
        ["metadata", MARTS_DATABASE],
        ["execute", "initial_sql", "SET join_use_nulls = 1"],
        ["query", "after_initial_sql", "SELECT getSetting('join_use_nulls'), currentUser()"],
        ["query", WORKBOOK.sheets[0].name, WORKBOOK.sheets[0].sql()],
        ["refuse", "set_readonly", "SET readonly = 0"],
    ]
    before = snapshot_of_marts()
    found = probe.run(plan, settings.clickhouse_analyst_password.get_secret_value())
    after = snapshot_of_marts()
    by_key: dict[str, Any] = {"before": before, "after": after}
    for event in found:
        by_key[f"{event['connection']}/{event['event']}/{event.get('name', '')}"] = event
    return by_key


def _ok(event: dict[str, Any]) -> dict[str, Any]:
    assert event.get("ok") is True, (
        f"{event.get('error_class')}: {event.get('error')} {event.get('causes')}"
    )
    return event


def test_the_driver_connects_with_default_properties_and_lists_only_the_marts(
    events: dict[str, Any],
    published_marts: PublishedMarts,
    settings: Settings,
    admin_client: Client,
) -> None:
    connected = _ok(events["default/connect/"])
    assert connected["driver_class"] == "com.clickhouse.jdbc.ClickHouseDriver"
    meta = _ok(events["default/metadata/"])
    assert meta["driver_version"] == TABLEAU_DRIVER[0]
    assert meta["product_name"] == "ClickHouse"
    assert meta["product_version"].startswith("26.")
    assert meta["user"] == settings.clickhouse_analyst_user
    assert meta["schemas"] == [MARTS_DATABASE]  # nothing else is visible to the analyst
    in_marts = admin_client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}",
        parameters={"db": MARTS_DATABASE},
    ).result_rows
    listed = {(t["name"], t["type"]) for t in meta["tables"]}
    assert listed == {(name, "TABLE") for (name,) in in_marts}
    assert set(published_marts.tables) <= {name for name, _ in listed}


def test_every_mart_column_reaches_tableau_with_its_clickhouse_type(
    events: dict[str, Any], admin_client: Client
) -> None:
    meta = _ok(events["default/metadata/"])
    expected: dict[str, list[tuple[str, str]]] = {}
    for table, name, ch_type in admin_client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} "
        "ORDER BY table, position",
        parameters={"db": MARTS_DATABASE},
    ).result_rows:
        expected.setdefault(table, []).append((name, ch_type))
    seen = {
        t["name"]: [
            (c["name"], c["type_name"]) for c in sorted(t["columns"], key=lambda c: c["position"])
        ]
        for t in meta["tables"]
    }
    assert seen == {t: expected[t] for t in seen}
    nullable = {(t["name"], c["name"]): c["nullable"] for t in meta["tables"] for c in t["columns"]}
    assert {k for k, v in nullable.items() if v == 1} == {
        (t, c)
        for t, cols in expected.items()
        for c, ch_type in cols
        if ch_type.startswith("Nullable(")
    }


def _same(jdbc: str | None, native: Any) -> bool:
    if native is None or jdbc is None:
        return native is None and jdbc is None
    if isinstance(native, (int, float, Decimal)):
        return math.isclose(float(jdbc), float(native), rel_tol=1e-9, abs_tol=1e-12)
    return jdbc == str(native)


def test_every_dashboard_sheet_query_returns_what_clickhouse_returns(
    events: dict[str, Any], admin_client: Client
) -> None:
    answered = 0
    for sheet in WORKBOOK.sheets:
        got = _ok(events[f"default/query/{sheet.name}"])
        want = admin_client.query(sheet.sql()).result_rows
        assert got["row_count"] == len(want), sheet.name
        for jdbc_row, native_row in zip(got["rows"], want, strict=True):
            assert all(_same(a, b) for a, b in zip(jdbc_row, native_row, strict=True)), (
                sheet.name,
                jdbc_row,
                native_row,
            )
        answered += bool(want)
        assert got["ms"] < 30_000, sheet.name  # a sanity bound, not a benchmark
    # the world has data for (nearly) every sheet: an empty mart would prove little
    assert answered >= len(WORKBOOK.sheets) - 2


def test_writes_ddl_mirrors_named_collections_and_setting_changes_are_refused(
    events: dict[str, Any], mirror_tables: list[str]
) -> None:
    accepted, wrong_reason = [], []
    for name, (_, codes) in refusals(mirror_tables).items():
        event = events[f"default/refuse/{name}"]
        if event.get("ok"):
            accepted.append(name)
        elif event.get("vendor_code") not in codes:
            wrong_reason.append((name, event.get("vendor_code"), event.get("error", "")[:200]))
    assert accepted == []
    assert wrong_reason == []
    # and nothing changed: same tables, same row counts, same metadata times
    assert events["after"] == events["before"]


def test_the_tableau_connector_url_and_its_initial_sql_work(events: dict[str, Any]) -> None:
    _ok(events["connector/connect/"])
    meta = _ok(events["connector/metadata/"])
    assert meta["schemas"] == [MARTS_DATABASE]
    _ok(events["connector/execute/initial_sql"])
    assert _ok(events["connector/query/after_initial_sql"])["rows"][0][0] in ("1", "true")
    _ok(events[f"connector/query/{WORKBOOK.sheets[0].name}"])
    assert events["connector/refuse/set_readonly"]["vendor_code"] == READONLY


def test_compress_1_is_answered_in_lz4_blocks(
    published_marts: PublishedMarts, settings: Settings
) -> None:
    """What the driver asks for by default: ClickHouse-framed blocks (16-byte checksum, then
    the method byte) in LZ4 (0x82); ClickHouse 26.9's own default would be ZSTD (0x90)."""
    response = httpx.post(
        f"http://{settings.clickhouse_host}:{settings.clickhouse_http_port}/",
        params={"compress": "1", "database": MARTS_DATABASE},
        content=b"SELECT * FROM mart_platform_daily FORMAT RowBinary",
        headers={
            "X-ClickHouse-User": settings.clickhouse_analyst_user,
            "X-ClickHouse-Key": settings.clickhouse_analyst_password.get_secret_value(),
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text[:300]
    assert len(response.content) > 16
    assert response.content[16] == 0x82
