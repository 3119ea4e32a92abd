"""Every table of a ClickHouse database as a Tableau ``.hyper`` extract and a CSV file.

    python -m socialpulse.tableau.extracts                     # database marts -> ./extracts
    python -m socialpulse.tableau.extracts --out /tmp/x --table mart_topics --table mart_user_profile
    python -m socialpulse.tableau.extracts --user socialpulse  # the pipeline user instead

It reads as the read-only ``analyst`` user (``CLICKHOUSE_ANALYST_USER``/``_PASSWORD``) over
HTTP. ClickHouse itself renders every row as a CSV record (one ``arrayStringConcat`` per row,
output ``TSVRaw``); Python only streams those bytes to disk chunk by chunk, so memory stays
bounded whatever the table size. Hyper then loads the same file with its own
``COPY ... FROM`` into the table ``"Extract"."T"``. Per table ``T`` the run writes ``T.csv``
(UTF-8, header row, for Tableau Public) and ``T.hyper`` (Tableau Desktop), both under temporary
names renamed at the end, so a failed run never leaves a half-written extract behind (the
previous one stays). Both files hold the same values.

Column types, read from ``system.columns`` at run time:

=====================================  ===============  ==================================
ClickHouse                             Hyper            CSV text
=====================================  ===============  ==================================
UInt8..UInt64, Int8..Int64             BIG_INT          ``123`` (UInt64 > 2^63-1: error)
Float32, Float64                       DOUBLE           ``0.1``, ``nan``, ``inf``
Decimal(p, s), p <= 18                 NUMERIC(p, s)    ``12.3``
Decimal(p > 18, s), s <= 18            NUMERIC(18, s)   (values beyond 18 digits: error)
Bool                                   BOOL             ``true`` / ``false``
Date, Date32                           DATE             ``2026-11-22``
DateTime, DateTime64(p <= 6) [any tz]  TIMESTAMP (UTC)  ``2026-11-22 06:41:00.123``
String, LowCardinality(String)         TEXT             always quoted: ``"a""b"``
Nullable(X)                            X, nullable      NULL = empty unquoted field
=====================================  ===============  ==================================

Timestamps become Hyper ``TIMESTAMP`` (without time zone) holding the UTC wall-clock time:
every mart is in UTC, and Tableau shows a plain ``TIMESTAMP`` as it is, where it would shift a
``TIMESTAMP_TZ`` into the viewer's zone. Hyper's default file format keeps NUMERIC to 18 digits
(128-bit numerics need a newer format older Tableau releases cannot open), so a wider Decimal,
such as ClickHouse's ``sum()`` of a ``Decimal(18, 2)`` (``Decimal(38, 2)``), is written as
NUMERIC(18, s) after checking that its values fit. Any other type (UUID, Array, Map, Int128,
DateTime64(9), ...) stops the run before any file is written, naming every such column.

Why this shape (measured, see docs/tableau.md): decoding rows into Python objects and feeding
Hyper's ``Inserter`` ran at ~20k rows/s on a 19-column mart, the same decoding plus a Python CSV
writer and ``COPY`` at ~56k rows/s; letting ClickHouse format the CSV is several times faster
again, and Hyper's ``COPY`` then parses the very bytes Tableau Public gets.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

import urllib3
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError
from tableauhyperapi import (
    NOT_NULLABLE,
    NULLABLE,
    Connection,
    CreateMode,
    HyperException,
    HyperProcess,
    SqlType,
    TableDefinition,
    TableName,
    Telemetry,
    escape_string_literal,
)

from infra.stack.clickhouse import ClickHouseService
from socialpulse.query import format_table
from socialpulse.settings import REPO_ROOT, Settings, get_settings

log = logging.getLogger(__name__)

DEFAULT_OUT = REPO_ROOT / "extracts"
DEFAULT_DATABASE = "marts"
#: the schema of every table in the .hyper files (Tableau's own extracts use it too)
HYPER_SCHEMA = "Extract"

_INT64_MAX = 2**63 - 1
#: Hyper's NUMERIC is 64-bit in the default file format; 128-bit needs a newer format that
#: older Tableau releases cannot open.
_MAX_NUMERIC_PRECISION = 18
_MAX_TIMESTAMP_PRECISION = 6  # Hyper keeps microseconds
_SIGNED_INTS = {"UInt8", "UInt16", "UInt32", "Int8", "Int16", "Int32", "Int64"}
_DECIMAL_BITS_PRECISION = {"32": 9, "64": 18, "128": 38, "256": 76}
_WRAPPER = re.compile(r"(Nullable|LowCardinality)\((.*)\)")
_DECIMAL = re.compile(r"Decimal\((\d+),\s*(\d+)\)")
_DECIMAL_BITS = re.compile(r"Decimal(32|64|128|256)\((\d+)\)")
_DATETIME = re.compile(r"DateTime(?:\('[^']*'\))?")
_DATETIME64 = re.compile(r"DateTime64\((\d+)(?:,\s*'[^']*')?\)")
SUPPORTED_TYPES = (
    "UInt8..UInt64, Int8..Int64, Float32/64, Decimal(p, s<=18), Bool, Date, Date32, "
    "DateTime, DateTime64(p<=6), String, LowCardinality(String), Nullable(any of these)"
)

Kind = Literal[
    "int", "uint64", "float", "decimal", "wide_decimal", "bool", "date", "timestamp", "text"
]


class ExtractError(RuntimeError):
    """The extract cannot be written; the message says what to do."""


class UnsupportedTypeError(ExtractError):
    """A column's ClickHouse type has no Hyper mapping."""


@dataclass(frozen=True)
class HyperColumn:
    """One column: its ClickHouse type and how it is written to Hyper and CSV."""

    name: str
    clickhouse_type: str
    kind: Kind
    sql_type: SqlType
    nullable: bool
    precision: int = 0  # fractional second digits of a timestamp

    @property
    def csv_expr(self) -> str:
        """ClickHouse SQL rendering this column as one CSV field (NULL -> empty field)."""
        ident = quote_identifier(self.name)
        if self.kind == "text":  # always quoted, so "" (empty string) differs from NULL
            expr = f"concat('\"', replaceAll({ident}, '\"', '\"\"'), '\"')"
        elif self.kind == "float":  # Float32 widened exactly: the value a client reads back
            expr = f"toString(toFloat64({ident}))"
        elif self.kind == "timestamp":  # wall-clock UTC, with the column's sub-second digits
            expr = f"toString(toTimeZone({ident}, 'UTC'))"
        else:  # integers, decimals, dates, bools: ClickHouse's own text form
            expr = f"toString({ident})"
        return f"ifNull({expr}, '')" if self.nullable else expr

    def hyper_definition(self) -> TableDefinition.Column:
        return TableDefinition.Column(
            self.name, self.sql_type, NULLABLE if self.nullable else NOT_NULLABLE
        )


@dataclass(frozen=True)
class ExtractResult:
    table: str
    rows: int
    columns: int
    hyper_path: Path
    csv_path: Path
    seconds: float

    @property
    def hyper_bytes(self) -> int:
        return self.hyper_path.stat().st_size

    @property
    def csv_bytes(self) -> int:
        return self.csv_path.stat().st_size


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def hyper_column(name: str, clickhouse_type: str) -> HyperColumn:
    """Map one ClickHouse column type to Hyper; :class:`UnsupportedTypeError` if it has none."""
    base, nullable = clickhouse_type.strip(), False
    while wrapped := _WRAPPER.fullmatch(base):
        nullable = nullable or wrapped.group(1) == "Nullable"
        base = wrapped.group(2).strip()

    def column(kind: Kind, sql_type: SqlType, precision: int = 0) -> HyperColumn:
        return HyperColumn(name, clickhouse_type, kind, sql_type, nullable, precision)

    if base in _SIGNED_INTS:
        return column("int", SqlType.big_int())
    if base == "UInt64":
        return column("uint64", SqlType.big_int())
    if base in ("Float32", "Float64"):
        return column("float", SqlType.double())
    if base == "Bool":
        return column("bool", SqlType.bool())
    if base in ("Date", "Date32"):
        return column("date", SqlType.date())
    if base == "String":
        return column("text", SqlType.text())
    if _DATETIME.fullmatch(base):
        return column("timestamp", SqlType.timestamp(), 0)
    if m := _DATETIME64.fullmatch(base):
        precision = int(m.group(1))
        if precision <= _MAX_TIMESTAMP_PRECISION:
            return column("timestamp", SqlType.timestamp(), precision)
    if (ps := _decimal_precision_scale(base)) and ps[1] <= _MAX_NUMERIC_PRECISION:
        precision, scale = ps
        if precision <= _MAX_NUMERIC_PRECISION:
            return column("decimal", SqlType.numeric(precision, scale))
        # e.g. sum(Decimal(18, 2)) is Decimal(38, 2): narrowed, each run checks the values fit
        return column("wide_decimal", SqlType.numeric(_MAX_NUMERIC_PRECISION, scale))
    raise UnsupportedTypeError(
        f"column {name!r} has ClickHouse type {clickhouse_type}, which has no Hyper mapping "
        f"(supported: {SUPPORTED_TYPES}); cast it in the mart, e.g. toString(), toFloat64(), "
        "toDateTime64(x, 6), or extend socialpulse/tableau/extracts.py"
    )


def _decimal_precision_scale(base: str) -> tuple[int, int] | None:
    if m := _DECIMAL.fullmatch(base):
        return int(m.group(1)), int(m.group(2))
    if m := _DECIMAL_BITS.fullmatch(base):
        return _DECIMAL_BITS_PRECISION[m.group(1)], int(m.group(2))
    return None


def table_columns(client: Client, database: str) -> dict[str, list[HyperColumn]]:
    """Every table (and view) of ``database`` the user can read, with mapped columns.

    dbt-clickhouse's transient ``*__dbt_tmp``/``*__dbt_backup`` relations and materialized
    views' ``.inner`` tables are skipped. All columns are mapped before anything is written,
    so one unsupported type stops the run up front with every offending column listed.
    """
    rows = client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} "
        "ORDER BY table, position",
        parameters={"db": database},
    ).result_rows
    tables: dict[str, list[HyperColumn]] = {}
    problems: list[str] = []
    for table, name, ch_type in rows:
        if "__dbt_" in table or table.startswith(".inner"):
            continue
        try:
            tables.setdefault(table, []).append(hyper_column(name, ch_type))
        except UnsupportedTypeError as exc:
            problems.append(f"{database}.{table}: {exc}")
    if problems:
        raise UnsupportedTypeError("\n".join(problems))
    return tables


# --- one table ----------------------------------------------------------------------------
def _check_ranges(
    client: Client, database: str, table: str, columns: Sequence[HyperColumn]
) -> None:
    """Refuse values that the narrower Hyper type cannot hold, before writing anything:
    UInt64 above 2^63-1 (BIG_INT), and Decimal(p > 18, s) beyond 18 digits (NUMERIC(18, s))."""
    checked = [c for c in columns if c.kind in ("uint64", "wide_decimal")]
    if not checked:
        return
    exprs = [
        f"max({'abs' if c.kind == 'wide_decimal' else ''}({quote_identifier(c.name)}))"
        for c in checked
    ]
    maxima = client.query(
        f"SELECT {', '.join(exprs)} FROM {quote_identifier(database)}.{quote_identifier(table)}"
    ).result_rows[0]
    for column, top in zip(checked, maxima, strict=True):
        limit: int | Decimal
        if column.kind == "uint64":
            limit, hyper_type = _INT64_MAX, "BIG_INT maximum"
        else:
            scale = column.sql_type.scale or 0
            limit = Decimal(10) ** (_MAX_NUMERIC_PRECISION - scale) - Decimal(10) ** -scale
            hyper_type = f"NUMERIC({_MAX_NUMERIC_PRECISION}, {scale}) limit"
        if top is not None and top > limit:
            raise ExtractError(
                f"{database}.{table}: column {column.name!r} ({column.clickhouse_type}) holds "
                f"{top}, above Hyper's {hyper_type} {limit}; cast it to String or Float64 "
                "in the mart"
            )


def csv_query(database: str, table: str, columns: Sequence[HyperColumn]) -> str:
    """The SELECT that makes ClickHouse itself render each row as one CSV record."""
    fields = ", ".join(c.csv_expr for c in columns)
    return (
        f"SELECT arrayStringConcat([{fields}], ',') "
        f"FROM {quote_identifier(database)}.{quote_identifier(table)}"
    )


def _csv_header(columns: Sequence[HyperColumn]) -> str:
    names = [
        '"' + c.name.replace('"', '""') + '"' if any(ch in c.name for ch in ',"\r\n') else c.name
        for c in columns
    ]
    return ",".join(names) + "\n"


def extract_table(
    client: Client,
    hyper: HyperProcess,
    database: str,
    table: str,
    columns: Sequence[HyperColumn],
    out_dir: Path,
) -> ExtractResult:
    """Stream ``database.table`` into ``out_dir/table.csv``, then COPY it into ``table.hyper``."""
    started = time.perf_counter()
    out_dir = out_dir.resolve()
    csv_path, hyper_path = out_dir / f"{table}.csv", out_dir / f"{table}.hyper"
    csv_part, hyper_part = out_dir / f".{table}.csv.part", out_dir / f".{table}.part.hyper"
    definition = TableDefinition(
        TableName(HYPER_SCHEMA, table), [c.hyper_definition() for c in columns]
    )
    _check_ranges(client, database, table, columns)
    try:
        with open(csv_part, "wb") as csv_file:
            csv_file.write(_csv_header(columns).encode())
            try:
                # TSVRaw: each row's one string column verbatim + "\n"; chunks as they arrive
                with client.raw_stream(csv_query(database, table, columns), fmt="TSVRaw") as body:
                    for chunk in body:
                        csv_file.write(chunk)
            except (ClickHouseError, urllib3.exceptions.HTTPError) as exc:
                raise ExtractError(
                    f"reading {database}.{table} from ClickHouse failed mid-way ({exc}); "
                    "the previous extract is kept. Check the server log and retry"
                ) from exc
        csv_seconds = time.perf_counter() - started
        with Connection(hyper.endpoint, hyper_part, CreateMode.CREATE_AND_REPLACE) as conn:
            conn.catalog.create_schema_if_not_exists(HYPER_SCHEMA)
            conn.catalog.create_table(definition)
            try:
                rows = conn.execute_command(
                    f"COPY {definition.table_name} FROM {escape_string_literal(str(csv_part))} "
                    "WITH (FORMAT csv, HEADER true, NULL '', DELIMITER ',', QUOTE '\"', "
                    "ESCAPE '\"')"
                )
            except HyperException as exc:
                raise ExtractError(f"Hyper refused {table}.csv: {exc}") from exc
        os.replace(csv_part, csv_path)
        os.replace(hyper_part, hyper_path)
        log.info(
            "%s: %d rows, CSV from ClickHouse %.2f s, Hyper COPY %.2f s",
            table,
            rows,
            csv_seconds,
            time.perf_counter() - started - csv_seconds,
        )
    finally:
        csv_part.unlink(missing_ok=True)
        hyper_part.unlink(missing_ok=True)
    return ExtractResult(
        table, rows, len(columns), hyper_path, csv_path, time.perf_counter() - started
    )


# --- a whole database ---------------------------------------------------------------------
def connect(settings: Settings, user: str | None = None) -> Client:
    """An HTTP client as ``user`` (default: the analyst); only the two configured users are
    known, since their passwords come from the settings (``.env``)."""
    user = user or settings.clickhouse_analyst_user
    if user not in (settings.clickhouse_analyst_user, settings.clickhouse_user):
        raise ExtractError(
            f"unknown ClickHouse user {user!r}: use {settings.clickhouse_analyst_user!r} "
            f"(CLICKHOUSE_ANALYST_USER) or {settings.clickhouse_user!r} (CLICKHOUSE_USER)"
        )
    # the driver logs its own traceback for server errors; we raise one clear error instead
    logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)
    return ClickHouseService(settings).client(
        analyst=user == settings.clickhouse_analyst_user,
        compress=False,  # loopback/LAN: compressing costs more CPU than it saves
    )


def hyper_process() -> HyperProcess:
    """A local Hyper engine with telemetry off and no ``hyperd.log`` in the working dir."""
    return HyperProcess(
        telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters={"log_config": ""}
    )


def extract_database(
    client: Client,
    database: str = DEFAULT_DATABASE,
    out_dir: Path = DEFAULT_OUT,
    tables: Sequence[str] | None = None,
) -> list[ExtractResult]:
    """Write every table of ``database`` (or only ``tables``) as ``.hyper`` + ``.csv``."""
    found = table_columns(client, database)
    if not found:
        raise ExtractError(
            f"no table in ClickHouse database {database!r} is visible to user "
            f"{client.query('SELECT currentUser()').result_rows[0][0]!r}: build the marts "
            "(dbt, ClickHouse target) or check the user's SELECT grant on the database"
        )
    wanted = list(tables) if tables else sorted(found)
    missing = [t for t in wanted if t not in found]
    if missing:
        raise ExtractError(
            f"no table {', '.join(missing)} in {database!r}; there are: {', '.join(sorted(found))}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    with hyper_process() as hyper:
        for table in wanted:
            result = extract_table(client, hyper, database, table, found[table], out_dir)
            results.append(result)
    return results


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:.1f} GiB"


def report(results: Sequence[ExtractResult], seconds: float) -> str:
    """The printed summary: one row per mart, then the totals and the rate."""
    rows = [
        (r.table, r.rows, r.columns, _size(r.hyper_bytes), _size(r.csv_bytes), f"{r.seconds:.2f}")
        for r in results
    ]
    total = sum(r.rows for r in results)
    rows.append(
        (
            "total",
            total,
            sum(r.columns for r in results),
            _size(sum(r.hyper_bytes for r in results)),
            _size(sum(r.csv_bytes for r in results)),
            f"{seconds:.2f}",
        )
    )
    table = format_table(["mart", "rows", "columns", ".hyper", ".csv", "seconds"], rows)
    rate = f"{total / seconds:,.0f} rows/s" if seconds > 0 else "-"
    return f"{table}{len(results)} extracts, {total:,} rows in {seconds:.2f} s ({rate})\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output dir (./extracts)")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="ClickHouse database")
    parser.add_argument("--user", help="ClickHouse user (default: CLICKHOUSE_ANALYST_USER)")
    parser.add_argument(
        "--table", action="append", dest="tables", help="only this table (repeatable)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    try:
        client = connect(get_settings(), args.user)
        try:
            results = extract_database(client, args.database, args.out, args.tables)
        finally:
            client.close()
    except ExtractError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(report(results, time.perf_counter() - started), end="")
    print(f"written to {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
