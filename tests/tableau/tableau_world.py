"""The scratch table behind the extract tests: every column type the marts use.

The rows are generated here, but the tests compare the extracts with what ClickHouse
*returns* for the table, never with these Python values.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from clickhouse_connect.driver.client import Client

#: one column per ClickHouse type the marts use (and a few neighbours), plain and Nullable
EVERY_TYPE_COLUMNS = {
    "id": "UInt64",
    "u8": "UInt8",
    "u16": "UInt16",
    "u32": "UInt32",
    "u64": "UInt64",
    "i8": "Int8",
    "i16": "Int16",
    "i32": "Int32",
    "i64": "Int64",
    "f32": "Float32",
    "f64": "Float64",
    "amount": "Decimal(18, 2)",
    "rate": "Decimal32(4)",
    "revenue": "Decimal(38, 2)",
    "flag": "Bool",
    "day": "Date",
    "day32": "Date32",
    "ts": "DateTime('UTC')",
    "ts_plain": "DateTime",
    "ts64": "DateTime64(3, 'UTC')",
    "ts64_us": "DateTime64(6)",
    "ts_tokyo": "DateTime64(3, 'Asia/Tokyo')",
    "name": "String",
    "country": "LowCardinality(String)",
    "n_u64": "Nullable(UInt64)",
    "n_u32": "Nullable(UInt32)",
    "n_i64": "Nullable(Int64)",
    "n_f64": "Nullable(Float64)",
    "n_amount": "Nullable(Decimal(18, 2))",
    "n_day": "Nullable(Date)",
    "n_ts64": "Nullable(DateTime64(3, 'UTC'))",
    "n_text": "Nullable(String)",
    "n_country": "LowCardinality(Nullable(String))",
}
ROWS = 4000

TEXTS = [
    "",
    " padded ",
    "Zoë Ørsted",
    "東京タワー",
    "🎉 party",
    'she said "hi"',
    "a,b,c",
    "line one\nline two",
    "tab\there",
    "back\\slash",
    "'single'",
    "\\N",
    "NULL",
    "Ελληνικά и кириллица",
]
COUNTRIES = ["DE", "FR", "BR", "IN", "JP", "US", "ÉÉ"]
SPECIAL_FLOATS = [float("nan"), float("inf"), float("-inf"), 0.1, -0.0, 1e300, -2.5e-300]


def make_row(i: int, rnd: random.Random) -> list[Any]:
    def maybe(value: Any) -> Any:
        return None if rnd.random() < 0.3 else value

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    ts64 = epoch + timedelta(microseconds=rnd.randrange(-20 * 365 * 86400 * 10**6, 2**52))
    f64 = SPECIAL_FLOATS[i] if i < len(SPECIAL_FLOATS) else rnd.gauss(0, 1e6)
    return [
        i,
        i % 256,
        rnd.randrange(2**16),
        rnd.randrange(2**32),
        2**63 - 1 if i == 0 else rnd.randrange(2**63),
        rnd.randrange(-(2**7), 2**7),
        rnd.randrange(-(2**15), 2**15),
        rnd.randrange(-(2**31), 2**31),
        -(2**63) if i == 1 else rnd.randrange(-(2**63), 2**63),
        rnd.uniform(-1000, 1000),
        f64,
        Decimal("9999999999999999.99")
        if i == 2
        else Decimal(rnd.randrange(-(10**17), 10**17)) / 100,
        Decimal(rnd.randrange(-(10**9) + 1, 10**9)) / 10**4,
        Decimal("-9999999999999999.99") if i == 3 else Decimal(rnd.randrange(10**12)) / 100,
        rnd.random() < 0.5,
        date(1970, 1, 1) + timedelta(days=rnd.randrange(65535)),
        date(1900, 1, 1) + timedelta(days=rnd.randrange(140000)),
        datetime.fromtimestamp(rnd.randrange(2**32), UTC),
        datetime.fromtimestamp(rnd.randrange(2**31), UTC),
        ts64,
        ts64 + timedelta(microseconds=rnd.randrange(10**6)),
        ts64,
        TEXTS[i % len(TEXTS)] + (str(i) if i % 3 else ""),
        COUNTRIES[i % len(COUNTRIES)],
        maybe(rnd.randrange(2**63)),
        maybe(rnd.randrange(2**32)),
        maybe(rnd.randrange(-(2**63), 2**63)),
        maybe(rnd.gauss(0, 1)),
        maybe(Decimal(rnd.randrange(-(10**6), 10**6)) / 100),
        maybe(date(2020, 1, 1) + timedelta(days=rnd.randrange(3000))),
        maybe(ts64),
        maybe(TEXTS[rnd.randrange(len(TEXTS))]),
        maybe(COUNTRIES[rnd.randrange(len(COUNTRIES))]),
    ]


def create_table(client: Client, table: str, columns: dict[str, str]) -> None:
    ddl = ", ".join(f"`{name}` {ch_type}" for name, ch_type in columns.items())
    client.command(f"CREATE TABLE {table} ({ddl}) ENGINE = MergeTree ORDER BY tuple()")


def fill_every_type(client: Client, table: str) -> None:
    """``ROWS`` rows, inserted in three parts so that they stream back in several blocks."""
    create_table(client, table, EVERY_TYPE_COLUMNS)
    rnd = random.Random(6)
    rows = [make_row(i, rnd) for i in range(ROWS)]
    for part in (rows[:1000], rows[1000:2500], rows[2500:]):
        client.insert(table, part, column_names=list(EVERY_TYPE_COLUMNS))
