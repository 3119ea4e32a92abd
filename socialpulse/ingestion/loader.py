"""Load helpers: the temp staging table, its INSERT ... ON CONFLICT, COPY escaping.

The usual path COPies new events straight into ``raw.events`` (see
:class:`socialpulse.ingestion.pipeline._EventsWriter`). The staging table is used for the
lines that must be compared with loaded events (repeats) and for a batch whose COPY met an
event loaded meanwhile: it is COPied here and inserted with ``ON CONFLICT DO NOTHING``.

The staging tables are session temp tables with ``ON COMMIT DELETE ROWS``: they live
inside the file's transaction only, so a crash or rollback leaves nothing behind.
Per line PostgreSQL parses the JSON once (``line::jsonb`` in the INSERT, behind
``OFFSET 0`` so the planner cannot inline it once per extracted field).
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS ingest_lines (
    line_no integer NOT NULL, event_id uuid NOT NULL, event_hash text NOT NULL,
    line text NOT NULL, repeat boolean NOT NULL
) ON COMMIT DELETE ROWS;
"""

#: The first occurrences of one batch's event_ids; ids already in ``raw.events`` are
#: skipped (classified afterwards, see :data:`clean.CLASSIFY_SKIPPED_SQL`). The CTE
#: registers the users of the inserted ``user_registered`` events in the same statement.
INSERT_EVENTS_SQL = """
WITH inserted AS (
    INSERT INTO raw.events (event_id, event_type, occurred_at, schema_version, actor_id,
                            entity_type, entity_id, payload, event_hash,
                            manifest_id, source_object, source_line)
    SELECT event_id, doc ->> 'event_type', (doc ->> 'occurred_at')::timestamptz,
           (doc ->> 'schema_version')::smallint, (doc ->> 'actor_id')::integer,
           doc ->> 'entity_type', doc ->> 'entity_id', doc -> 'payload', event_hash,
           %(manifest_id)s, %(object_key)s, line_no
    FROM (SELECT line_no, event_id, event_hash, line::jsonb AS doc
          FROM ingest_lines
          WHERE NOT repeat AND line_no BETWEEN %(first_line)s AND %(last_line)s
          OFFSET 0) staged
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, occurred_at,
              CASE WHEN event_type = 'user_registered'
                   THEN (payload ->> 'user_id')::integer END AS registered_user
), registered AS (
    INSERT INTO raw.known_users (user_id, event_id, registered_at)
    SELECT registered_user, event_id, occurred_at FROM inserted
    WHERE registered_user IS NOT NULL
    ON CONFLICT (user_id) DO NOTHING
)
SELECT count(*) FROM inserted
"""

#: Serialises the insert phase of every writer of ``raw.events`` (taken before a file's first
#: insert, held until its commit): "is this event_id loaded?" cannot change between the
#: inserts and the classification of the skipped lines, crossing inserts cannot deadlock,
#: and ``raw.load_snapshot_bound()`` (migration 004) can promise that no row will appear
#: later at or below the bound it returns. The lock's key lives in that migration.
LOCK_EVENTS_FOR_WRITE_SQL = "SELECT raw.lock_events_for_write()"


def lock_events_for_write(conn: psycopg.Connection) -> None:
    """Take the events write lock until the current transaction ends."""
    conn.execute(LOCK_EVENTS_FOR_WRITE_SQL)


def prepare_session(conn: psycopg.Connection) -> None:
    conn.execute(STAGE_DDL)


def copy_escape(line: bytes) -> bytes:
    """A line as a COPY text field (backslash, tab, CR and LF are special there)."""
    # Compact JSON has no raw tabs or newlines inside strings, but whitespace between
    # tokens may; backslashes (JSON escapes) are common.
    if b"\\" in line:
        line = line.replace(b"\\", b"\\\\")
    if b"\t" in line or b"\r" in line or b"\n" in line:
        line = line.replace(b"\t", b"\\t").replace(b"\r", b"\\r").replace(b"\n", b"\\n")
    return line


def stage(conn: psycopg.Connection, rows: Iterable[bytes]) -> None:
    """COPY one batch of pre-formatted rows (one buffer, no per-row round trips)."""
    buf = b"".join(rows)
    if not buf:
        return
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY ingest_lines (line_no, event_id, event_hash, line, repeat) FROM STDIN"
        ) as cp,
    ):
        cp.write(buf)


def insert_new(
    conn: psycopg.Connection, manifest_id: int, object_key: str, first_line: int, last_line: int
) -> int:
    """Insert the staged first occurrences of lines ``first_line..last_line`` not loaded
    yet, register their users; returns the number of events inserted.

    Call under :func:`lock_events_for_write` (held until the file's commit).
    """
    params = {
        "manifest_id": manifest_id,
        "object_key": object_key,
        "first_line": first_line,
        "last_line": last_line,
    }
    row = conn.execute(INSERT_EVENTS_SQL, params).fetchone()
    return int(row[0]) if row else 0
