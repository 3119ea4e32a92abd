"""Read users and relationship changes from the Data Vault (PostgreSQL), streamed in batches.

The effectivity satellites (``eff_sat_<relation>``) are the incremental source: every status
change of a link is a row with ``is_active``, ``effective_from`` (event time) and ``load_ts``
(when the vault loaded it). A sync reads the links with a row loaded after the watermark and,
for each, the row in force now (latest ``effective_from``): active -> MERGE the relationship,
ended -> delete it. ``business_vault.relationship_periods`` says the same but is a full
rebuild without ``load_ts``, so it cannot drive an incremental read.

Rows are read through a server-side (named) cursor, ``batch_size`` at a time: the vault is
never loaded into memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Relation:
    """How one vault relationship maps onto one Neo4j relationship type.

    The Neo4j relationship goes from ``src`` to ``dst``; each side is named by the
    eff_sat column holding its hash key and the hub it resolves through.
    """

    name: str  # relation name in the vault (business_vault.relationship_periods.relation)
    rel_type: str  # Neo4j relationship type
    eff_sat: str
    link_hk: str
    src_hk: str
    src_hub: str  # "user" or "group"
    dst_hk: str
    dst_hub: str


#: hub -> (table, hash key column, business key column)
HUBS: dict[str, tuple[str, str, str]] = {
    "user": ("hub_user", "user_hk", "user_id"),
    "group": ("hub_group", "group_hk", "group_id"),
}

RELATIONS: tuple[Relation, ...] = (
    # Staging orders the pair (user_a_id < user_b_id), so a friendship is one link, stored
    # once in Neo4j (a)->(b) and projected UNDIRECTED.
    Relation(
        "friendship",
        "FRIENDS_WITH",
        "eff_sat_friendship",
        "friendship_hk",
        "user_a_hk",
        "user",
        "user_b_hk",
        "user",
    ),
    Relation(
        "follow",
        "FOLLOWS",
        "eff_sat_follow",
        "follow_hk",
        "follower_hk",
        "user",
        "followee_hk",
        "user",
    ),
    # The vault's driving key is the group; in the graph a user is a member of a group.
    Relation(
        "group_membership",
        "MEMBER_OF",
        "eff_sat_group_membership",
        "group_membership_hk",
        "user_hk",
        "user",
        "group_hk",
        "group",
    ),
)

#: sync_state source name of the users (the hub).
USERS_SOURCE = "hub_user"


@dataclass(frozen=True)
class RelationChange:
    src: int
    dst: int
    is_active: bool
    since: datetime


def max_load_ts(conn: psycopg.Connection[Any], schema: str, table: str) -> datetime | None:
    """The newest ``load_ts`` of a vault table (the next watermark), None when empty."""
    row = conn.execute(
        sql.SQL("SELECT max(load_ts) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
    ).fetchone()
    return row[0] if row else None


def _stream(
    conn: psycopg.Connection[Any],
    query: sql.Composed,
    params: dict[str, Any],
    batch_size: int,
    name: str,
) -> Iterator[list[tuple[Any, ...]]]:
    # A named cursor is planned for its first rows (cursor_tuple_fraction 0.1), which picks
    # nested loops over the satellites: 90 s instead of 1 s on 1M links. We read them all.
    conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")
    with conn.cursor(name=f"graph_sync_{name}") as cur:
        cur.itersize = batch_size
        cur.execute(query, params)
        while batch := cur.fetchmany(batch_size):
            yield batch


def user_batches(
    conn: psycopg.Connection[Any],
    schema: str,
    since: datetime | None,
    batch_size: int,
) -> Iterator[list[int]]:
    """Ids of the users loaded after ``since`` (all when None), in batches."""
    table, _, key = HUBS["user"]
    query = sql.SQL("SELECT {key} FROM {schema}.{table} WHERE {key} IS NOT NULL{since}").format(
        key=sql.Identifier(key),
        schema=sql.Identifier(schema),
        table=sql.Identifier(table),
        since=sql.SQL(" AND load_ts > %(since)s" if since is not None else ""),
    )
    for batch in _stream(conn, query, {"since": since}, batch_size, "users"):
        yield [row[0] for row in batch]


def relation_query(schema: str, rel: Relation, incremental: bool) -> sql.Composed:
    """Latest status of each link changed since ``%(since)s`` (every link when not incremental).

    A full read skips ended links: it rebuilds an empty graph, where there is nothing to delete.
    """
    src_table, src_hk, src_key = HUBS[rel.src_hub]
    dst_table, dst_hk, dst_key = HUBS[rel.dst_hub]
    changed = (
        sql.SQL(
            "changed AS (SELECT DISTINCT {link} AS link_hk FROM {schema}.{sat} "
            "WHERE load_ts > %(since)s),"
        )
        if incremental
        else sql.SQL("changed AS (SELECT NULL::text AS link_hk WHERE false),")
    )
    scope = sql.SQL("JOIN changed AS c ON c.link_hk = s.{link}") if incremental else sql.SQL("")
    only_active = sql.SQL("") if incremental else sql.SQL("WHERE l.is_active")
    return sql.SQL(
        """
        WITH {changed}
        latest AS (
            SELECT DISTINCT ON (s.{link})
                s.{src_col} AS src_hk, s.{dst_col} AS dst_hk, s.is_active, s.effective_from
            FROM {schema}.{sat} AS s
            {scope}
            ORDER BY s.{link}, s.effective_from DESC, s.load_ts DESC
        )
        SELECT src.{src_key}, dst.{dst_key}, l.is_active, l.effective_from
        FROM latest AS l
        JOIN {schema}.{src_table} AS src ON src.{src_hk} = l.src_hk
        JOIN {schema}.{dst_table} AS dst ON dst.{dst_hk} = l.dst_hk
        {only_active}
        """
    ).format(
        changed=changed.format(
            link=sql.Identifier(rel.link_hk),
            schema=sql.Identifier(schema),
            sat=sql.Identifier(rel.eff_sat),
        ),
        scope=scope.format(link=sql.Identifier(rel.link_hk)),
        link=sql.Identifier(rel.link_hk),
        src_col=sql.Identifier(rel.src_hk),
        dst_col=sql.Identifier(rel.dst_hk),
        schema=sql.Identifier(schema),
        sat=sql.Identifier(rel.eff_sat),
        src_key=sql.Identifier(src_key),
        dst_key=sql.Identifier(dst_key),
        src_table=sql.Identifier(src_table),
        dst_table=sql.Identifier(dst_table),
        src_hk=sql.Identifier(src_hk),
        dst_hk=sql.Identifier(dst_hk),
        only_active=only_active,
    )


def relation_batches(
    conn: psycopg.Connection[Any],
    schema: str,
    rel: Relation,
    since: datetime | None,
    batch_size: int,
) -> Iterator[list[RelationChange]]:
    """Current status of each ``rel`` link changed after ``since`` (all active when None)."""
    query = relation_query(schema, rel, incremental=since is not None)
    for batch in _stream(conn, query, {"since": since}, batch_size, rel.name):
        yield [RelationChange(int(r[0]), int(r[1]), bool(r[2]), r[3]) for r in batch]
