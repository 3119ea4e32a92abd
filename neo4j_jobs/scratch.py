"""Vault-shaped scratch tables, so tests and the benchmark run without dbt.

``ScratchVault`` creates ``hub_user``, ``hub_group`` and the three effectivity satellites the
sync reads, with the columns of the dbt models (``dbt_project/models/raw_vault``), in a schema
of its own, and loads rows with COPY. Hash keys are MD5s of the business key, as dbt's ``hash``
macro makes them (the sync only joins on them, so the exact rule does not matter here).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

TABLES: dict[str, tuple[str, ...]] = {
    "hub_user": ("user_hk text", "user_id integer", "load_ts timestamptz", "record_source text"),
    "hub_group": ("group_hk text", "group_id bigint", "load_ts timestamptz", "record_source text"),
    "eff_sat_friendship": (
        "friendship_hk text",
        "hashdiff text",
        "user_a_hk text",
        "user_b_hk text",
        "is_active boolean",
        "effective_from timestamptz",
        "load_ts timestamptz",
        "record_source text",
    ),
    "eff_sat_follow": (
        "follow_hk text",
        "hashdiff text",
        "follower_hk text",
        "followee_hk text",
        "is_active boolean",
        "effective_from timestamptz",
        "load_ts timestamptz",
        "record_source text",
    ),
    "eff_sat_group_membership": (
        "group_membership_hk text",
        "hashdiff text",
        "group_hk text",
        "user_hk text",
        "is_active boolean",
        "effective_from timestamptz",
        "load_ts timestamptz",
        "record_source text",
    ),
}

_SAT_OF = {
    "friendship": "eff_sat_friendship",
    "follow": "eff_sat_follow",
    "group_membership": "eff_sat_group_membership",
}


def hk(*keys: object) -> str:
    """MD5 hash key of business keys (upper-cased text joined with ``||``)."""
    return hashlib.md5("||".join(str(k).strip().upper() for k in keys).encode()).hexdigest()


def _user(user_id: int) -> str:
    return hk(user_id)


def _group(group_id: int) -> str:
    return hk("group", group_id)


class ScratchVault:
    """Vault-shaped tables in ``schema`` of the database at ``dsn``."""

    def __init__(self, dsn: str, schema: str) -> None:
        self.dsn = dsn
        self.schema = schema

    def create(self) -> None:
        """(Re)create the schema and its tables, empty."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
            for table, columns in TABLES.items():
                conn.execute(
                    sql.SQL("CREATE TABLE {}.{} ({})").format(
                        sql.Identifier(self.schema),
                        sql.Identifier(table),
                        sql.SQL(", ".join(columns)),
                    )
                )

    def index(self) -> None:
        """The indexes dbt declares on these models (unique hub keys, link key + time)."""
        statements = [
            "CREATE UNIQUE INDEX ON {s}.hub_user (user_hk)",
            "CREATE UNIQUE INDEX ON {s}.hub_group (group_hk)",
            "CREATE INDEX ON {s}.eff_sat_friendship (friendship_hk, effective_from)",
            "CREATE INDEX ON {s}.eff_sat_follow (follow_hk, effective_from)",
            "CREATE INDEX ON {s}.eff_sat_group_membership (group_membership_hk, effective_from)",
        ]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for statement in statements:
                conn.execute(sql.SQL(statement).format(s=sql.Identifier(self.schema)))

    def drop(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )

    def analyze(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            for table in TABLES:
                conn.execute(
                    sql.SQL("ANALYZE {}.{}").format(
                        sql.Identifier(self.schema), sql.Identifier(table)
                    )
                )

    def copy(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """COPY ``rows`` (all columns, in order) into ``table``; the row count."""
        n = 0
        with (
            psycopg.connect(self.dsn) as conn,
            conn.cursor() as cur,
            cur.copy(
                sql.SQL("COPY {}.{} FROM STDIN").format(
                    sql.Identifier(self.schema), sql.Identifier(table)
                )
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
                n += 1
        return n

    # -- rows -------------------------------------------------------------------------------

    def add_users(self, user_ids: Iterable[int], load_ts: datetime | None = None) -> int:
        ts = load_ts or datetime.now(UTC)
        return self.copy("hub_user", ((_user(u), u, ts, "scratch.user") for u in user_ids))

    def add_groups(self, group_ids: Iterable[int], load_ts: datetime | None = None) -> int:
        ts = load_ts or datetime.now(UTC)
        return self.copy("hub_group", ((_group(g), g, ts, "scratch.group") for g in group_ids))

    def set_status(
        self,
        relation: str,
        pairs: Iterable[tuple[int, int]],
        *,
        active: bool,
        at: datetime | None = None,
        load_ts: datetime | None = None,
    ) -> int:
        """One effectivity row per pair: the relationship starts (or ends) at ``at``.

        ``relation`` is friendship (user, user; stored as the ordered pair, like staging),
        follow (follower, followee) or group_membership (group, user).
        """
        when = at or datetime.now(UTC)
        ts = load_ts or datetime.now(UTC)
        source = f"scratch.{relation}_{'started' if active else 'ended'}"

        def rows() -> Iterable[tuple[Any, ...]]:
            for a, b in pairs:
                if relation == "friendship":
                    a, b = min(a, b), max(a, b)
                    left, right = _user(a), _user(b)
                elif relation == "follow":
                    left, right = _user(a), _user(b)
                else:
                    left, right = _group(a), _user(b)
                link = hk(relation, left, right)
                yield (link, hk(active), left, right, active, when, ts, source)

        return self.copy(_SAT_OF[relation], rows())
