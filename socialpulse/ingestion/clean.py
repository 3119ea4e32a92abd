"""Clean: referential check of user ids, then set-based de-duplication in PostgreSQL.

* References are checked per batch with one query (``= ANY``) for the ids not seen yet in
  this file, plus the users registered earlier in the same file.
* Duplicates are classified in SQL over the staged file (window over ``event_id`` for the
  file, anti-join on ``raw.events`` for earlier files): the first occurrence of an event_id
  wins; a later copy with the same normalised content is a *duplicate*, with different
  content a *conflict* (quarantined). Normalised = parsed as ``jsonb``, so key order and
  whitespace do not matter.
"""

from __future__ import annotations

import psycopg

from socialpulse.ingestion.reasons import Reason
from socialpulse.ingestion.validate import Accepted, Rejected


class UserDirectory:
    """Which user ids exist, for one file: the warehouse's users + this file's registrations."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.known: set[int] = set()
        self.looked_up: set[int] = set()

    def prefetch(self, ids: set[int]) -> None:
        """One round trip for every id of a batch not looked up yet."""
        todo = ids - self.looked_up
        if not todo:
            return
        rows = self.conn.execute(
            "SELECT user_id FROM raw.known_users WHERE user_id = ANY(%s)", (list(todo),)
        ).fetchall()
        self.known.update(r[0] for r in rows)
        self.looked_up |= todo


def check_references(
    accepted: list[Accepted], users: UserDirectory
) -> tuple[list[Accepted], list[Rejected]]:
    """Reject events that reference users that never registered (in order within the file)."""
    users.prefetch({uid for a in accepted for uid in a.event.user_ids()})
    ok: list[Accepted] = []
    rejected: list[Rejected] = []
    for item in accepted:
        event = item.event
        ids = event.user_ids()
        if event.event_type == "user_registered":
            # The registration introduces its own user: it cannot reference itself as missing.
            users.known.add(event.payload.user_id)  # type: ignore[attr-defined]
        missing = sorted({uid for uid in ids if uid not in users.known})
        if missing:
            rejected.append(
                Rejected(
                    item.line_no,
                    item.line,
                    Reason.UNKNOWN_USER_REFERENCE,
                    f"user id(s) {missing[:10]} never registered",
                    str(event.event_id),
                    missing,
                )
            )
        else:
            ok.append(item)
    return ok, rejected


#: Classifies every staged line of the file: new / duplicate / conflict.
CLASSIFY_SQL = """
INSERT INTO ingest_classified (line_no, event_id, verdict, event_hash, doc, other)
SELECT s.line_no, s.event_id,
       CASE WHEN s.line_no <> s.first_line THEN
                CASE WHEN s.h = s.first_h THEN 'duplicate' ELSE 'conflict' END
            WHEN e.event_id IS NULL THEN 'new'
            WHEN e.event_hash = s.h THEN 'duplicate'
            ELSE 'conflict' END,
       s.h, s.doc,
       CASE WHEN s.line_no <> s.first_line THEN 'line ' || s.first_line || ' of this object'
            ELSE e.source_object || ' line ' || e.source_line END
FROM (
    SELECT line_no, event_id, doc, h,
           first_value(line_no) OVER w AS first_line,
           first_value(h) OVER w AS first_h
    FROM (SELECT line_no, event_id, line::jsonb AS doc, md5(line::jsonb::text) AS h
          FROM ingest_stage) staged
    WINDOW w AS (PARTITION BY event_id ORDER BY line_no)
) s
LEFT JOIN raw.events e ON e.event_id = s.event_id
"""

QUARANTINE_CONFLICTS_SQL = """
INSERT INTO raw.quarantine
    (manifest_id, object_key, line_no, raw_text, reason, error_detail, event_id)
SELECT %(manifest_id)s, %(object_key)s, c.line_no, s.line, %(reason)s,
       'event_id already seen with different content (' || c.other || ')', c.event_id
FROM ingest_classified c JOIN ingest_stage s USING (line_no)
WHERE c.verdict = 'conflict'
"""


def classify_duplicates(
    conn: psycopg.Connection, manifest_id: int, object_key: str
) -> dict[str, int]:
    """Classify the staged file and quarantine conflicts; returns counts per verdict."""
    conn.execute(CLASSIFY_SQL)
    conn.execute(
        QUARANTINE_CONFLICTS_SQL,
        {
            "manifest_id": manifest_id,
            "object_key": object_key,
            "reason": Reason.DUPLICATE_EVENT_ID_CONFLICT.value,
        },
    )
    rows = conn.execute("SELECT verdict, count(*) FROM ingest_classified GROUP BY verdict")
    counts = {"new": 0, "duplicate": 0, "conflict": 0}
    counts.update({str(v): int(n) for v, n in rows.fetchall()})
    return counts
