"""``raw.ingest_manifest``: one row per processed object version (key + ETag)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

import psycopg

#: Object-level advisory locks live in their own key space (two-int form: class, hash).
_OBJECT_LOCK_CLASS = 0x5C1A


@dataclass
class FileCounts:
    """What happened to one object; ``read == loaded + rejected + duplicate`` always."""

    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    read_ms: int = 0
    validate_ms: int = 0
    clean_ms: int = 0
    load_ms: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)

    def as_row(self) -> dict[str, int]:
        row = asdict(self)
        row.pop("rejected_by_reason")
        return row


def lock_object(conn: psycopg.Connection, key: str) -> None:
    """Block until no other transaction works on ``key`` (released at commit/rollback)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_OBJECT_LOCK_CLASS, key))


def already_done(conn: psycopg.Connection, key: str, etag: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM raw.ingest_manifest WHERE object_key = %s AND etag = %s", (key, etag)
    ).fetchone()
    return row is not None


def begin(
    conn: psycopg.Connection, key: str, etag: str, size: int, run_id: str, started: datetime
) -> tuple[int, int]:
    """Insert the version's row (counts zero, invisible until commit): (manifest_id, version)."""
    row = conn.execute(
        """INSERT INTO raw.ingest_manifest
               (object_key, etag, version, size_bytes, status, run_id, started_at)
           SELECT %(key)s, %(etag)s, coalesce(max(version), 0) + 1, %(size)s, 'loaded',
                  %(run_id)s, %(started)s
           FROM raw.ingest_manifest WHERE object_key = %(key)s
           RETURNING manifest_id, version""",
        {"key": key, "etag": etag, "size": size, "run_id": run_id, "started": started},
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def finish(
    conn: psycopg.Connection,
    manifest_id: int,
    counts: FileCounts,
    status: str = "loaded",
    reason: str | None = None,
    detail: str | None = None,
) -> None:
    conn.execute(
        """UPDATE raw.ingest_manifest SET
               status = %(status)s, reason = %(reason)s, error_detail = %(detail)s,
               rows_read = %(rows_read)s, rows_loaded = %(rows_loaded)s,
               rows_rejected = %(rows_rejected)s, rows_duplicate = %(rows_duplicate)s,
               read_ms = %(read_ms)s, validate_ms = %(validate_ms)s,
               clean_ms = %(clean_ms)s, load_ms = %(load_ms)s, finished_at = clock_timestamp()
           WHERE manifest_id = %(manifest_id)s""",
        {
            **counts.as_row(),
            "status": status,
            "reason": reason,
            "detail": detail,
            "manifest_id": manifest_id,
        },
    )


def summary(conn: psycopg.Connection, key_prefix: str = "") -> dict[str, int]:
    """Totals over every manifest row under ``key_prefix`` (for reports and the demo)."""
    row = conn.execute(
        """SELECT count(*), count(*) FILTER (WHERE status = 'quarantined'),
                  coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                  coalesce(sum(rows_rejected), 0), coalesce(sum(rows_duplicate), 0),
                  coalesce(sum(rows_readmitted), 0)
           FROM raw.ingest_manifest WHERE object_key LIKE %s""",
        (key_prefix.replace("%", r"\%").replace("_", r"\_") + "%",),
    ).fetchone()
    assert row is not None
    names = ("files", "files_quarantined", "rows_read", "rows_loaded", "rows_rejected",
             "rows_duplicate", "rows_readmitted")  # fmt: skip
    return dict(zip(names, (int(v) for v in row), strict=True))
