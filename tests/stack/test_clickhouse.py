"""The native ClickHouse (chdb-core LocalServer listeners): protocols, users, persistence.

This relies on a low-level entry point of chdb-core, so it doubles as the smoke test of the
pinned version: /ping, queries over HTTP (clickhouse-connect) and native TCP
(clickhouse-driver), the users/grants recipe, and a stop()+start() cycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import clickhouse_connect
import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from clickhouse_driver import Client as NativeClient
from clickhouse_driver.errors import ServerException

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings

pytestmark = pytest.mark.stack

ROWS_HTTP = [(1, "alice", date(2024, 1, 1)), (2, "bob", date(2024, 1, 2))]
ROWS_TCP = [(3, "carol", date(2024, 1, 3)), (4, "dave", date(2024, 1, 4))]

# ClickHouse error codes
READONLY = 164
ACCESS_DENIED = 497
TOO_MANY_SIMULTANEOUS_QUERIES = 202
AUTHENTICATION_FAILED = 516


@pytest.fixture(scope="module")
def ch(clickhouse: ClickHouseService) -> ClickHouseService:
    """Short name for this module's many uses of the shared fixture."""
    return clickhouse


@pytest.fixture(scope="module")
def table(ch: ClickHouseService) -> Iterator[str]:
    """A scratch MergeTree table in ``marts`` (the one database the analyst may read)."""
    name = f"marts.sp_test_{uuid.uuid4().hex[:10]}"
    admin = ch.client()
    admin.command("CREATE DATABASE IF NOT EXISTS marts")
    admin.command(
        f"CREATE TABLE {name} (id UInt32, name String, joined Date) ENGINE = MergeTree ORDER BY id"
    )
    yield name
    ch.start()  # in case a test left it stopped
    ch.client().command(f"DROP TABLE IF EXISTS {name} SYNC")


def native(settings: Settings, user: str, password: str) -> NativeClient:
    return NativeClient(
        settings.clickhouse_host,
        port=settings.clickhouse_tcp_port,
        user=user,
        password=password,
        connect_timeout=5,
        send_receive_timeout=30,
    )


def pipeline_native(settings: Settings) -> NativeClient:
    return native(
        settings, settings.clickhouse_user, settings.clickhouse_password.get_secret_value()
    )


def test_health_version_and_url(ch: ClickHouseService, settings: Settings) -> None:
    assert ch.health()
    assert ch.url == f"http://{settings.clickhouse_host}:{settings.clickhouse_http_port}"
    assert httpx.get(f"{ch.url}/ping", timeout=5).text == "Ok.\n"
    assert ch.version().startswith("26.9.")
    assert ch.pid() is not None


def test_mergetree_round_trip_over_http_and_native_tcp(
    ch: ClickHouseService, settings: Settings, table: str
) -> None:
    http = ch.client()
    http.insert(table, ROWS_HTTP, column_names=["id", "name", "joined"])
    tcp = pipeline_native(settings)
    tcp.execute(f"INSERT INTO {table} (id, name, joined) VALUES", ROWS_TCP)

    expected = ROWS_HTTP + ROWS_TCP
    assert http.query(f"SELECT id, name, joined FROM {table} ORDER BY id").result_rows == expected
    assert tcp.execute(f"SELECT id, name, joined FROM {table} ORDER BY id") == expected
    # the same server answers on both protocols, with the real engine
    engine = tcp.execute(
        "SELECT engine FROM system.tables WHERE database = '{}' AND name = '{}'".format(
            *table.split(".")
        )
    )
    assert engine == [("MergeTree",)]
    assert tcp.execute("SELECT version()")[0][0] == http.query("SELECT version()").result_rows[0][0]
    assert tcp.execute("SELECT tcpPort()") == [(settings.clickhouse_tcp_port,)]


def test_pipeline_user_has_full_rights(ch: ClickHouseService, settings: Settings) -> None:
    grants = ch.client().query("SHOW GRANTS").result_rows
    assert grants == [(f"GRANT ALL ON *.* TO {settings.clickhouse_user} WITH GRANT OPTION",)]


def test_analyst_reads_but_cannot_write(
    ch: ClickHouseService, settings: Settings, table: str
) -> None:
    analyst = ch.client(analyst=True)
    assert analyst.query(f"SELECT count() FROM {table}").result_rows == [
        (len(ROWS_HTTP + ROWS_TCP),)
    ]
    # refused twice over: no write grant (ACCESS_DENIED) and a readonly profile (READONLY)
    with pytest.raises(DatabaseError, match=r"ACCESS_DENIED|READONLY"):
        analyst.command(f"INSERT INTO {table} VALUES (99, 'mallory', '2024-02-01')")
    with pytest.raises(DatabaseError, match=r"ACCESS_DENIED|READONLY"):
        analyst.command(f"CREATE TABLE {table}_copy (id UInt32) ENGINE = MergeTree ORDER BY id")
    # and it reads only the marts, not the vault mirrors or anything else
    admin = ch.client()
    admin.command("CREATE DATABASE IF NOT EXISTS sp_private")
    admin.command("CREATE TABLE IF NOT EXISTS sp_private.secrets (x UInt8) ENGINE = Memory")
    try:
        with pytest.raises(DatabaseError, match="ACCESS_DENIED"):
            analyst.query("SELECT count() FROM sp_private.secrets")
    finally:
        admin.command("DROP DATABASE sp_private SYNC")

    tcp = native(
        settings,
        settings.clickhouse_analyst_user,
        settings.clickhouse_analyst_password.get_secret_value(),
    )
    assert tcp.execute(f"SELECT max(id) FROM {table}") == [(4,)]
    with pytest.raises(ServerException) as err:
        tcp.execute(f"INSERT INTO {table} (id, name, joined) VALUES", [(99, "m", date(2024, 2, 1))])
    assert err.value.code in (READONLY, ACCESS_DENIED)
    # nothing got through
    assert ch.client().query(f"SELECT count() FROM {table} WHERE id = 99").result_rows == [(0,)]
    assert not ch.client().command(f"EXISTS TABLE {table}_copy")


def test_wrong_password_is_rejected(ch: ClickHouseService, settings: Settings) -> None:
    for user in (settings.clickhouse_user, settings.clickhouse_analyst_user):
        with pytest.raises(DatabaseError, match="AUTHENTICATION_FAILED"):
            clickhouse_connect.get_client(
                host=settings.clickhouse_host,
                port=settings.clickhouse_http_port,
                username=user,
                password="wrong-password",
            )
        with pytest.raises(ServerException) as err:
            native(settings, user, "wrong-password").execute("SELECT 1")
        assert err.value.code == AUTHENTICATION_FAILED


def test_anonymous_default_user_can_do_nothing(
    ch: ClickHouseService, settings: Settings, table: str
) -> None:
    db = table.split(".")[0]
    statements = [
        f"SELECT * FROM {table}",
        f"CREATE TABLE {db}.anon (id UInt32) ENGINE = MergeTree ORDER BY id",
        "CREATE DATABASE anon_db",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SYSTEM STOP LISTEN HTTP",
    ]
    for sql in statements:
        # HTTP without credentials = `default`; a setting override is refused by a constraint
        for params in ({}, {"max_concurrent_queries_for_all_users": "0"}):
            answer = httpx.post(ch.url, params=params, content=sql.encode(), timeout=10)
            assert answer.status_code != 200, sql
            assert (
                "TOO_MANY_SIMULTANEOUS_QUERIES" in answer.text
                or "SETTING_CONSTRAINT_VIOLATION" in answer.text
            ), answer.text
        with pytest.raises(ServerException) as err:
            native(settings, "default", "").execute(sql)
        assert err.value.code == TOO_MANY_SIMULTANEOUS_QUERIES
    # behind that, its grants hold only what the listener session needs
    grants = {row[0] for row in ch.client().query("SHOW GRANTS FOR default").result_rows}
    assert grants == {
        "GRANT SYSTEM LISTEN ON *.* TO default",
        "GRANT SELECT ON system.numbers TO default",
    }
    admin = ch.client()
    assert not admin.command(f"EXISTS TABLE {db}.anon")
    assert not admin.command("EXISTS DATABASE anon_db")
    assert ch.health()  # the listeners are still up


def test_data_survives_stop_and_start(
    ch: ClickHouseService, settings: Settings, table: str
) -> None:
    persisted = f"{table}_persisted"  # dropped at the end (marts outlives the test)
    admin = ch.client()
    admin.command(f"CREATE TABLE {persisted} (id UInt64, v String) ENGINE = MergeTree ORDER BY id")
    admin.insert(persisted, [(i, f"v{i}") for i in range(1000)], column_names=["id", "v"])

    pid = ch.pid()
    ch.stop()
    assert ch.pid() is None
    assert not ch._healthy_quietly()
    assert ch.version() == "26.9.0 (chdb-core)"
    ch.stop()  # a no-op when not running

    ch.start()
    ch.start()  # idempotent: already healthy
    assert ch.pid() not in (None, pid)
    summary = ch.client().query(f"SELECT count(), sum(id), max(v) FROM {persisted}").result_rows
    assert summary == [(1000, sum(range(1000)), "v999")]
    assert pipeline_native(settings).execute(
        "SELECT engine FROM system.tables WHERE database = %(db)s AND name = %(name)s",
        {"db": table.split(".")[0], "name": persisted.split(".")[1]},
    ) == [("MergeTree",)]
    ch.client().command(f"DROP TABLE {persisted} SYNC")
