"""Load: COPY validated lines into a temp staging table, then one INSERT ... SELECT.

The staging tables are session temp tables with ``ON COMMIT DELETE ROWS``: they live
inside the file's transaction only, so a crash or rollback leaves nothing behind.
"""

from __future__ import annotations

import psycopg

from socialpulse.ingestion.validate import Accepted

STAGE_DDL = """
CREATE TEMP TABLE IF NOT EXISTS ingest_stage (
    line_no integer NOT NULL, event_id uuid NOT NULL, line text NOT NULL
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS ingest_classified (
    line_no integer NOT NULL, event_id uuid NOT NULL, verdict text NOT NULL,
    event_hash text NOT NULL, doc jsonb NOT NULL, other text
) ON COMMIT DELETE ROWS;
"""

INSERT_EVENTS_SQL = """
INSERT INTO raw.events (event_id, event_type, occurred_at, schema_version, actor_id,
                        entity_type, entity_id, payload, event_hash,
                        manifest_id, source_object, source_line)
SELECT event_id, doc ->> 'event_type', (doc ->> 'occurred_at')::timestamptz,
       (doc ->> 'schema_version')::smallint, (doc ->> 'actor_id')::integer,
       doc ->> 'entity_type', doc ->> 'entity_id', doc -> 'payload', event_hash,
       %(manifest_id)s, %(object_key)s, line_no
FROM ingest_classified
WHERE verdict = 'new'
"""

REGISTER_USERS_SQL = """
INSERT INTO raw.known_users (user_id, event_id, registered_at)
SELECT (doc -> 'payload' ->> 'user_id')::integer, event_id, (doc ->> 'occurred_at')::timestamptz
FROM ingest_classified
WHERE verdict = 'new' AND doc ->> 'event_type' = 'user_registered'
ON CONFLICT (user_id) DO NOTHING
"""

#: Serialises the short classify+insert phase of concurrent loaders, so "is this event_id
#: loaded?" cannot change between the check and the insert (reading and validating still
#: run in parallel).
EVENTS_WRITE_LOCK = 0x5C1A1_0002


def prepare_session(conn: psycopg.Connection) -> None:
    conn.execute(STAGE_DDL)


def _copy_escape(line: bytes) -> bytes:
    # COPY text format: backslash, tab, CR and LF are special (compact JSON has no raw tabs
    # or newlines inside strings, but whitespace between tokens may).
    if b"\\" in line:
        line = line.replace(b"\\", b"\\\\")
    if b"\t" in line or b"\r" in line:
        line = line.replace(b"\t", b"\\t").replace(b"\r", b"\\r")
    return line


def stage(conn: psycopg.Connection, accepted: list[Accepted]) -> None:
    """COPY one batch into the staging table (one buffer, no per-row round trips)."""
    if not accepted:
        return
    buf = b"".join(
        b"%d\t%s\t%s\n" % (a.line_no, str(a.event.event_id).encode(), _copy_escape(a.line))
        for a in accepted
    )
    with (
        conn.cursor() as cur,
        cur.copy("COPY ingest_stage (line_no, event_id, line) FROM STDIN") as cp,
    ):
        cp.write(buf)


def insert_new(conn: psycopg.Connection, manifest_id: int, object_key: str) -> int:
    """Insert the classified new events and register new users; returns rows inserted."""
    params = {"manifest_id": manifest_id, "object_key": object_key}
    inserted = conn.execute(INSERT_EVENTS_SQL, params).rowcount
    conn.execute(REGISTER_USERS_SQL)
    return inserted
