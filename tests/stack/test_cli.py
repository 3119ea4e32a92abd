"""The `socialpulse` command as operators and scripts use it, against the real services."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Callable

import pytest

from infra.stack.base import NativeService
from infra.stack.registry import SERVICE_CLASSES

pytestmark = pytest.mark.stack

LIVE_SERVICES = ("generator", "dbt-docs")


def socialpulse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "socialpulse.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def databases(started_service: Callable[[str], NativeService]) -> None:
    started_service("postgres")
    started_service("clickhouse")


@pytest.mark.parametrize("engine", ["postgres", "clickhouse"])
def test_query_prints_csv_with_a_header_row(databases: None, engine: str) -> None:
    sql = "SELECT number * 2 AS doubled, 'a,b' AS label FROM numbers(3)"
    if engine == "postgres":
        sql = "SELECT n * 2 AS doubled, 'a,b' AS label FROM generate_series(0, 2) AS n"
    proc = socialpulse("query", engine, sql, "--csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows == [["doubled", "label"], ["0", "a,b"], ["2", "a,b"], ["4", "a,b"]]


@pytest.mark.parametrize("engine", ["postgres", "clickhouse"])
def test_query_prints_an_aligned_table(databases: None, engine: str) -> None:
    proc = socialpulse("query", engine, "SELECT 12345 AS big, 'x' AS small")
    assert proc.returncode == 0, proc.stderr
    header, rule, row, count = proc.stdout.splitlines()
    assert header.index("|") == rule.index("+") == row.index("|")
    assert row.split("|")[0].strip() == "12345"
    assert count == "(1 row)"


@pytest.mark.parametrize("engine", ["postgres", "clickhouse"])
def test_bad_sql_exits_non_zero_with_one_clear_error(databases: None, engine: str) -> None:
    proc = socialpulse("query", engine, "SELECT * FROM no_such_table_anywhere")
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"ERROR ({engine}):")
    assert "no_such_table_anywhere" in proc.stderr


def test_stack_status_prints_one_row_per_service(
    started_service: Callable[[str], NativeService],
) -> None:
    for name in SERVICE_CLASSES:
        started_service(name)
    try:
        proc = socialpulse("stack", "status")
    finally:
        # the live services write (minute objects, docs sites): not beside the other tests
        for name in LIVE_SERVICES:
            started_service(name).stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    rows = {line.split("|")[0].strip(): line for line in lines[2 : 2 + len(SERVICE_CLASSES)]}
    assert set(rows) == set(SERVICE_CLASSES)
    assert all("healthy" in row for row in rows.values())
    assert "Airflow UI login: admin / " in proc.stdout
