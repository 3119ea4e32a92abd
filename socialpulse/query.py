"""Run one SQL statement on PostgreSQL or ClickHouse and render the result."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from typing import Any

import clickhouse_connect
import psycopg

from socialpulse.settings import Settings

Result = tuple[list[str], list[tuple[Any, ...]]]


def query_postgres(settings: Settings, sql: str, database: str | None = None) -> Result:
    with (
        # autocommit, like psql: each statement stands alone (CREATE DATABASE needs it).
        psycopg.connect(
            settings.postgres_dsn(database or settings.postgres_db),
            connect_timeout=5,
            autocommit=True,
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(sql.encode())
        if cur.description is None:  # DDL/DML: report the row count like psql does
            return ["rowcount"], [(cur.rowcount,)]
        columns = [d.name for d in cur.description]
        return columns, [tuple(r) for r in cur.fetchall()]


def query_clickhouse(settings: Settings, sql: str, database: str | None = None) -> Result:
    # The driver logs its own traceback for server errors; the CLI prints one clear line.
    logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)
    client = clickhouse_connect.get_client(
        host=settings.clickhouse_host,
        port=settings.clickhouse_http_port,
        username=settings.clickhouse_user,
        password=settings.clickhouse_password.get_secret_value(),
        database=database or "",
    )
    try:
        result = client.query(sql)
        return list(result.column_names), [tuple(r) for r in result.result_rows]
    finally:
        client.close()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def format_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV with a header row (NULL as an empty field)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_text(v) for v in row] for row in rows)
    return buf.getvalue()


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned text table: numbers right-aligned, text left-aligned, NULL shown as NULL."""
    cells = [["NULL" if v is None else str(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    numeric = [
        bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(columns), "-+-".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"
