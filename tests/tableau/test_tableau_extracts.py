"""`make extracts` against the real ClickHouse: every value of every type survives the trip
into the ``.hyper`` file and the CSV, compared with what ClickHouse itself returns."""

from __future__ import annotations

import csv
import math
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from tableau_world import EVERY_TYPE_COLUMNS, ROWS, create_table
from tableauhyperapi import Connection, Date, SqlType, TableName, Timestamp

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings
from socialpulse.tableau import extracts
from socialpulse.tableau.extracts import (
    ExtractError,
    UnsupportedTypeError,
    extract_database,
    hyper_column,
    hyper_process,
)

pytestmark = pytest.mark.stack


def clickhouse_rows(admin: Client, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    result = admin.query(f"SELECT * FROM {table} ORDER BY id")
    return list(result.column_names), [tuple(r) for r in result.result_rows]


def naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return type(actual) is type(expected) and actual == expected


def from_hyper(value: Any) -> Any:
    if isinstance(value, Timestamp):
        return value.to_datetime()
    if isinstance(value, Date):
        return value.to_date()
    return value


def from_csv(text: str, expected: Any) -> Any:
    """Parse one CSV field as the type ClickHouse returned (NULL and '' both read as '')."""
    if expected is None:
        return None if text == "" else text
    if isinstance(expected, bool):
        return {"true": True, "false": False}.get(text, text)
    if isinstance(expected, int):
        return int(text)
    if isinstance(expected, float):
        return float(text)
    if isinstance(expected, Decimal):
        return Decimal(text)
    if isinstance(expected, datetime):
        return datetime.fromisoformat(text)
    if isinstance(expected, date):
        return date.fromisoformat(text)
    return text


_CSV_FIELD = re.compile(r'("(?:[^"]|"")*"|[^,"\n]*)(,|\n)')


def csv_nulls(text: str) -> list[list[bool]]:
    """Per record and field: is it NULL, i.e. an *unquoted* empty field (csv.reader cannot
    tell that from a quoted empty string)."""
    records: list[list[bool]] = [[]]
    pos = 0
    while pos < len(text):
        field = _CSV_FIELD.match(text, pos)
        assert field, f"malformed CSV at {text[pos : pos + 40]!r}"
        records[-1].append(field.group(1) == "")
        if field.group(2) == "\n":
            records.append([])
        pos = field.end()
    return records[:-1]


def mismatches(names: list[str], got: list[Any], want: list[tuple[Any, ...]]) -> list[str]:
    bad = []
    for got_row, want_row in zip(got, want, strict=True):
        for name, a, e in zip(names, got_row, want_row, strict=True):
            if not same(a, naive_utc(e)):
                bad.append(f"id={want_row[0]} {name}: got {a!r}, ClickHouse has {e!r}")
    return bad


@pytest.fixture(scope="module")
def pipeline(clickhouse: ClickHouseService, settings: Settings) -> Iterator[Client]:
    client = extracts.connect(settings, settings.clickhouse_user)
    yield client
    client.close()


def test_every_value_of_every_type_round_trips_into_hyper_and_csv(
    pipeline: Client, admin: Client, scratch_db: str, tmp_path: Path
) -> None:
    results = extract_database(pipeline, scratch_db, tmp_path)

    assert [(r.table, r.rows) for r in results] == [("empty_mart", 0), ("every_type", ROWS)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "empty_mart.csv",
        "empty_mart.hyper",
        "every_type.csv",
        "every_type.hyper",
    ]
    names, expected = clickhouse_rows(admin, f"{scratch_db}.every_type")
    assert names == list(EVERY_TYPE_COLUMNS)
    assert len(expected) == ROWS

    # .hyper: the table "Extract"."every_type", nullability as in ClickHouse, every value
    with (
        hyper_process() as hyper,
        Connection(hyper.endpoint, tmp_path / "every_type.hyper") as conn,
    ):
        table = TableName("Extract", "every_type")
        definition = conn.catalog.get_table_definition(table)
        assert [str(c.name.unescaped) for c in definition.columns] == names
        for column in definition.columns:
            ch_type = EVERY_TYPE_COLUMNS[column.name.unescaped]
            assert (str(column.nullability) == "Nullability.NULLABLE") == ("Nullable" in ch_type)
        assert definition.get_column_by_name("amount").type == SqlType.numeric(18, 2)
        assert definition.get_column_by_name("ts64").type == SqlType.timestamp()
        hyper_rows = [
            [from_hyper(v) for v in row]
            for row in conn.execute_list_query(f"SELECT * FROM {table} ORDER BY id")
        ]
    assert mismatches(names, hyper_rows, expected) == []
    with (
        hyper_process() as hyper,
        Connection(hyper.endpoint, tmp_path / "empty_mart.hyper") as conn,
    ):
        assert conn.execute_scalar_query('SELECT COUNT(*) FROM "Extract"."empty_mart"') == 0
    # the NULL / empty-string distinction and the awkward texts survived
    n_text = names.index("n_text")
    assert {r[n_text] for r in hyper_rows} >= {None, "", 'she said "hi"', "line one\nline two"}

    # CSV: header + one record per row, every field parses back to ClickHouse's value
    with (tmp_path / "every_type.csv").open(encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))
    assert records[0] == names
    by_id = sorted(records[1:], key=lambda r: int(r[0]))
    csv_rows = [
        [from_csv(text, naive_utc(e)) for text, e in zip(rec, want, strict=True)]
        for rec, want in zip(by_id, expected, strict=True)
    ]
    assert mismatches(names, csv_rows, expected) == []
    nulls = sorted(csv_nulls((tmp_path / "every_type.csv").read_text(encoding="utf-8"))[1:])
    assert nulls == sorted([v is None for v in row] for row in expected)
    assert (tmp_path / "empty_mart.csv").read_text() == "activity_date,dau\n"


def test_the_command_prints_marts_rows_and_sizes(
    clickhouse: ClickHouseService,
    settings: Settings,
    scratch_db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["--out", str(tmp_path), "--database", scratch_db, "--user", settings.clickhouse_user]
    assert extracts.main([*argv, "--table", "every_type"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("every_type"))
    cells = [c.strip() for c in row.split("|")]
    assert cells[1:3] == [str(ROWS), str(len(EVERY_TYPE_COLUMNS))]
    sizes = [(tmp_path / f"every_type.{ext}").stat().st_size for ext in ("hyper", "csv")]
    for cell, size in zip(cells[3:5], sizes, strict=True):
        number, unit = cell.split()
        assert float(number) * {"B": 1, "KiB": 1024, "MiB": 1024**2}[unit] == pytest.approx(
            size, rel=0.05
        )
    assert f"1 extracts, {ROWS:,} rows" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["every_type.csv", "every_type.hyper"]


def test_the_analyst_is_the_default_user_and_sees_only_the_marts(
    clickhouse: ClickHouseService, settings: Settings, scratch_db: str, tmp_path: Path
) -> None:
    client = extracts.connect(settings)
    try:
        assert client.query("SELECT currentUser()").result_rows == [
            (settings.clickhouse_analyst_user,)
        ]
        with pytest.raises(
            ExtractError, match=f"visible to user '{settings.clickhouse_analyst_user}'"
        ):
            extract_database(client, scratch_db, tmp_path)
    finally:
        client.close()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ExtractError, match="unknown ClickHouse user 'mallory'"):
        extracts.connect(settings, "mallory")


def test_an_unsupported_type_stops_the_run_before_any_file_naming_the_columns(
    pipeline: Client, admin: Client, tmp_path: Path
) -> None:
    db = f"tableau_test_{uuid.uuid4().hex[:10]}"
    admin.command(f"CREATE DATABASE {db}")
    try:
        create_table(admin, f"{db}.a_fine_mart", {"id": "UInt64"})
        create_table(
            admin, f"{db}.odd_mart", {"id": "UInt64", "tags": "Array(String)", "uid": "UUID"}
        )
        with pytest.raises(UnsupportedTypeError) as err:
            extract_database(pipeline, db, tmp_path)
    finally:
        admin.command(f"DROP DATABASE IF EXISTS {db} SYNC")
    message = str(err.value)
    assert f"{db}.odd_mart: column 'tags' has ClickHouse type Array(String)" in message
    assert f"{db}.odd_mart: column 'uid' has ClickHouse type UUID" in message
    assert "cast it in the mart" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("ch_type", "fits", "too_big", "message"),
    [
        ("UInt64", 2**63 - 1, 2**64 - 1, "holds 18446744073709551615, above Hyper's BIG_INT"),
        (
            "Decimal(38, 2)",
            Decimal("9999999999999999.99"),
            Decimal("10000000000000000.00"),
            "holds 10000000000000000.00, above Hyper's NUMERIC(18, 2) limit",
        ),
    ],
)
def test_a_value_beyond_the_hyper_type_is_a_clear_error_and_keeps_the_old_extract(
    pipeline: Client,
    admin: Client,
    tmp_path: Path,
    ch_type: str,
    fits: Any,
    too_big: Any,
    message: str,
) -> None:
    db = f"tableau_test_{uuid.uuid4().hex[:10]}"
    admin.command(f"CREATE DATABASE {db}")
    try:
        create_table(admin, f"{db}.m", {"v": ch_type})
        admin.insert(f"{db}.m", [(1,), (fits,)], column_names=["v"])
        extract_database(pipeline, db, tmp_path)
        before = (tmp_path / "m.csv").read_text()
        admin.insert(f"{db}.m", [(too_big,)], column_names=["v"])
        with pytest.raises(ExtractError, match=re.escape(message)):
            extract_database(pipeline, db, tmp_path)
    finally:
        admin.command(f"DROP DATABASE IF EXISTS {db} SYNC")
    assert sorted(before.splitlines()[1:]) == sorted(["1", str(fits)])
    assert (tmp_path / "m.csv").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv", "m.hyper"]


@pytest.mark.parametrize(
    ("ch_type", "sql_type", "nullable"),
    [
        ("UInt64", SqlType.big_int(), False),
        ("Int8", SqlType.big_int(), False),
        ("Float32", SqlType.double(), False),
        ("Nullable(Float64)", SqlType.double(), True),
        ("Decimal(18, 2)", SqlType.numeric(18, 2), False),
        ("Decimal64(4)", SqlType.numeric(18, 4), False),
        ("Decimal(38, 2)", SqlType.numeric(18, 2), False),
        ("Date", SqlType.date(), False),
        ("DateTime64(3, 'UTC')", SqlType.timestamp(), False),
        ("Nullable(DateTime64(3, 'UTC'))", SqlType.timestamp(), True),
        ("DateTime('Europe/Berlin')", SqlType.timestamp(), False),
        ("LowCardinality(String)", SqlType.text(), False),
        ("LowCardinality(Nullable(String))", SqlType.text(), True),
        ("Bool", SqlType.bool(), False),
    ],
)
def test_type_mapping(ch_type: str, sql_type: SqlType, nullable: bool) -> None:
    column = hyper_column("c", ch_type)
    assert (column.sql_type, column.nullable) == (sql_type, nullable)


@pytest.mark.parametrize(
    "ch_type",
    [
        "UUID",
        "Int128",
        "UInt256",
        "Decimal(40, 20)",
        "DateTime64(9)",
        "Array(UInt8)",
        "FixedString(3)",
    ],
)
def test_types_without_a_hyper_mapping_are_refused(ch_type: str) -> None:
    with pytest.raises(
        UnsupportedTypeError, match=re.escape(f"column 'c' has ClickHouse type {ch_type}")
    ):
        hyper_column("c", ch_type)
