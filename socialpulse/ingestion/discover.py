"""Discover: object versions under the source prefix that have no manifest row yet."""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from socialpulse.ingestion.reader import ObjectRef, SourceError

log = logging.getLogger(__name__)


def list_objects(client: Any, bucket: str, prefix: str) -> list[ObjectRef]:
    """Every object under ``prefix`` in key order (keys are named by minute)."""
    try:
        objs = [
            ObjectRef(o.object_name, (o.etag or "").strip('"'), int(o.size or 0))
            for o in client.list_objects(bucket, prefix=prefix, recursive=True)
            if not o.is_dir
        ]
    except Exception as exc:  # S3Error, urllib3 errors: MinIO unreachable or bucket missing
        raise SourceError(f"cannot list s3://{bucket}/{prefix}: {exc}") from exc
    return sorted(objs, key=lambda o: o.key)


def pending(conn: psycopg.Connection, listed: list[ObjectRef], limit: int) -> list[ObjectRef]:
    """The listed versions without a manifest row, oldest key first, at most ``limit``.

    Set-based: the listing is COPied into a temp table and anti-joined on the manifest's
    unique ``(object_key, etag)``, so the cost does not grow with round trips.
    """
    with conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS listed_objects "
            "(object_key text, etag text, size_bytes bigint) ON COMMIT DELETE ROWS"
        )
        with conn.cursor() as cur, cur.copy("COPY listed_objects FROM STDIN") as cp:
            for o in listed:
                cp.write_row((o.key, o.etag, o.size))
        rows = conn.execute(
            """SELECT l.object_key, l.etag, l.size_bytes FROM listed_objects l
               WHERE NOT EXISTS (SELECT 1 FROM raw.ingest_manifest m
                                 WHERE m.object_key = l.object_key AND m.etag = l.etag)
               ORDER BY l.object_key LIMIT %s""",
            (limit,),
        ).fetchall()
    return [ObjectRef(k, e, int(s)) for k, e, s in rows]


def discover(
    conn: psycopg.Connection, client: Any, bucket: str, prefix: str, limit: int
) -> list[ObjectRef]:
    listed = list_objects(client, bucket, prefix)
    todo = pending(conn, listed, limit)
    log.info(
        "discovered %d new object version(s) of %d listed under s3://%s/%s (limit %d)",
        len(todo), len(listed), bucket, prefix, limit,
    )  # fmt: skip
    return todo
