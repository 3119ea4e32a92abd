"""``raw.quarantine``: rejected lines and poison objects, and re-admission of late references."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import psycopg

from socialpulse.ingestion.loader import lock_events_for_write
from socialpulse.ingestion.reasons import Reason
from socialpulse.ingestion.validate import Rejected

log = logging.getLogger(__name__)

_COLUMNS = (
    "manifest_id, object_key, line_no, raw_text, reason, error_detail, event_id, missing_user_ids"
)


def add_lines(
    conn: psycopg.Connection, manifest_id: int, object_key: str, rejected: list[Rejected]
) -> None:
    """COPY a batch of rejected lines (no per-row INSERTs)."""
    if not rejected:
        return
    with conn.cursor() as cur, cur.copy(f"COPY raw.quarantine ({_COLUMNS}) FROM STDIN") as cp:
        for r in rejected:
            cp.write_row(
                (manifest_id, object_key, r.line_no, r.text, r.reason.value, r.detail,
                 r.event_id, r.missing_user_ids)
            )  # fmt: skip


def add_rows(
    conn: psycopg.Connection,
    manifest_id: int,
    object_key: str,
    rows: Iterable[tuple[int, bytes, str, str, str | None, list[int] | None]],
) -> None:
    """COPY rejected lines given as ``(line_no, raw, reason, detail, event_id, missing)``."""
    with conn.cursor() as cur, cur.copy(f"COPY raw.quarantine ({_COLUMNS}) FROM STDIN") as cp:
        for line_no, raw, reason, detail, event_id, missing in rows:
            text = raw.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
            cp.write_row(
                (manifest_id, object_key, line_no, text, reason, detail, event_id, missing)
            )


def add_object(
    conn: psycopg.Connection, manifest_id: int, object_key: str, reason: Reason, detail: str
) -> None:
    """One row for a whole poison object (``line_no`` null)."""
    conn.execute(
        """INSERT INTO raw.quarantine (manifest_id, object_key, reason, error_detail)
           VALUES (%s, %s, %s, %s)""",
        (manifest_id, object_key, reason.value, detail[:1000]),
    )


_READY_SQL = """
SELECT q.quarantine_id, q.event_id
FROM raw.quarantine q
WHERE q.reason = 'unknown_user_reference' AND q.resolved_at IS NULL
  AND q.event_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM unnest(q.missing_user_ids) AS m(user_id)
                  WHERE NOT EXISTS (SELECT 1 FROM raw.known_users k
                                    WHERE k.user_id = m.user_id))
ORDER BY q.quarantine_id
"""

_READMIT_SQL = """
INSERT INTO raw.events (event_id, event_type, occurred_at, schema_version, actor_id,
                        entity_type, entity_id, payload, event_hash,
                        manifest_id, source_object, source_line)
SELECT q.event_id, d.doc ->> 'event_type', (d.doc ->> 'occurred_at')::timestamptz,
       (d.doc ->> 'schema_version')::smallint, (d.doc ->> 'actor_id')::integer,
       d.doc ->> 'entity_type', d.doc ->> 'entity_id', d.doc -> 'payload', md5(q.raw_text),
       q.manifest_id, q.object_key, q.line_no
FROM raw.quarantine q CROSS JOIN LATERAL (SELECT q.raw_text::jsonb AS doc) d
WHERE q.quarantine_id = ANY(%s)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


#: Lines that share an event_id with a loaded event: the same normalised event (see
#: :mod:`socialpulse.ingestion.clean`) is a duplicate, anything else a conflict.
_RESOLVE_REST_SQL = """
WITH c AS (
    SELECT q.quarantine_id, e.source_object, e.source_line,
           e.event_hash = md5(q.raw_text) OR coalesce(
               e.event_type = d.doc ->> 'event_type'
               AND e.occurred_at = (d.doc ->> 'occurred_at')::timestamptz
               AND e.schema_version = (d.doc ->> 'schema_version')::smallint
               AND e.actor_id IS NOT DISTINCT FROM (d.doc ->> 'actor_id')::integer
               AND e.entity_type = d.doc ->> 'entity_type'
               AND e.entity_id = d.doc ->> 'entity_id'
               AND e.payload = d.doc -> 'payload', false) AS same
    FROM raw.quarantine q
    JOIN raw.events e ON e.event_id = q.event_id
    CROSS JOIN LATERAL (SELECT q.raw_text::jsonb AS doc OFFSET 0) d
    WHERE q.quarantine_id = ANY(%(rest)s)
)
UPDATE raw.quarantine q SET
    resolved_at = CASE WHEN c.same THEN now() END,
    resolution = CASE WHEN c.same THEN 'duplicate' END,
    reason = CASE WHEN c.same THEN q.reason ELSE %(conflict)s END,
    error_detail = CASE WHEN c.same THEN q.error_detail
                        ELSE 'event_id already seen with different content ('
                             || c.source_object || ' line ' || c.source_line || ')' END
FROM c
WHERE q.quarantine_id = c.quarantine_id
"""


def readmit(conn: psycopg.Connection) -> dict[str, int]:
    """Load quarantined ``unknown_user_reference`` lines whose users have registered since.

    Late objects can deliver a ``user_registered`` after events of that user were seen;
    those events were valid all along, so they are loaded now (the quarantine row is kept,
    marked resolved) and the source object's manifest counts move from rejected to
    loaded (or duplicate), so per-file reconciliation still holds. Call inside no
    transaction: this runs its own.
    """
    with conn.transaction():
        lock_events_for_write(conn)
        ready = conn.execute(_READY_SQL).fetchall()
        if not ready:
            return {"readmitted": 0, "duplicate": 0, "conflict": 0}
        first: dict[str, int] = {}
        for qid, event_id in ready:
            first.setdefault(str(event_id), qid)
        inserted = {
            str(r[0]) for r in conn.execute(_READMIT_SQL, (list(first.values()),)).fetchall()
        }
        loaded_ids = [qid for eid, qid in first.items() if eid in inserted]
        rest = [qid for qid, _ in ready if qid not in set(loaded_ids)]
        # The others share an event_id with a loaded event: an exact copy is a duplicate,
        # different content a conflict (it stays quarantined under that reason).
        conn.execute(
            _RESOLVE_REST_SQL, {"rest": rest, "conflict": Reason.DUPLICATE_EVENT_ID_CONFLICT.value}
        )
        conn.execute(
            """UPDATE raw.quarantine SET resolved_at = now(), resolution = 'readmitted'
               WHERE quarantine_id = ANY(%s)""",
            (loaded_ids,),
        )
        conn.execute(
            """UPDATE raw.ingest_manifest m SET
                   rows_rejected = m.rows_rejected - c.n_loaded - c.n_dup,
                   rows_loaded = m.rows_loaded + c.n_loaded,
                   rows_readmitted = m.rows_readmitted + c.n_loaded,
                   rows_duplicate = m.rows_duplicate + c.n_dup
               FROM (SELECT manifest_id,
                            count(*) FILTER (WHERE resolution = 'readmitted') AS n_loaded,
                            count(*) FILTER (WHERE resolution = 'duplicate') AS n_dup
                     FROM raw.quarantine WHERE quarantine_id = ANY(%s)
                     GROUP BY manifest_id) c
               WHERE m.manifest_id = c.manifest_id""",
            ([qid for qid, _ in ready],),
        )
        duplicates = conn.execute(
            "SELECT count(*) FROM raw.quarantine WHERE quarantine_id = ANY(%s) "
            "AND resolution = 'duplicate'",
            (rest,),
        ).fetchone()
    n_dup = int(duplicates[0]) if duplicates else 0
    result = {"readmitted": len(loaded_ids), "duplicate": n_dup, "conflict": len(rest) - n_dup}
    log.info("re-admitted quarantined lines whose users registered later: %s", result)
    return result
