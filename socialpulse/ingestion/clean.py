"""Clean: referential check of user ids, then de-duplication (in-file in Python, across files
in PostgreSQL).

* References are checked per batch with one query (``= ANY``) for the ids not seen yet in
  this file, plus the users registered earlier in the same file.
* Within a file, :class:`FileDeduper` keeps ``event_id -> md5(line)`` of the first
  occurrence of every event (O(lines) of small entries per file, never the lines): a
  byte-identical repeat is a *duplicate* at once; a repeat with other bytes is staged as a
  ``repeat`` and compared with the loaded event in SQL (it may differ only in key order or
  whitespace).
* Across files, the first occurrences are inserted with ``ON CONFLICT (event_id) DO
  NOTHING``; only when something was skipped (or repeats were staged) does
  :func:`classify_skipped` compare those lines with the events already loaded: the same
  *normalised* event (same md5 of the line, or equal envelope columns and equal ``jsonb``
  payload, so key order, whitespace and number spelling do not matter) is a *duplicate*,
  anything else a *conflict* (quarantined). The first write wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import md5
from operator import attrgetter
from typing import Any
from uuid import UUID

import psycopg

from socialpulse.contracts import EventEnvelope
from socialpulse.ingestion.loader import copy_escape
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


_USER_GETTERS: dict[type, Callable[[Any], Any]] = {}


def _user_ids(event: EventEnvelope) -> list[int]:
    """``event.user_ids()`` without its per-call generator (it runs for every line)."""
    cls = type(event)
    getter = _USER_GETTERS.get(cls)
    if getter is None:
        fields = cls.user_fields
        if not fields:
            getter = _USER_GETTERS[cls] = lambda _payload: ()
        elif len(fields) == 1:
            one = attrgetter(fields[0])
            getter = _USER_GETTERS[cls] = lambda payload: (one(payload),)
        else:
            getter = _USER_GETTERS[cls] = attrgetter(*fields)
    ids = [uid for uid in getter(event.payload) if uid is not None]
    if event.actor_id is not None:
        ids.append(event.actor_id)
    return ids


def check_references(
    accepted: list[Accepted], users: UserDirectory
) -> tuple[list[Accepted], list[Rejected]]:
    """Reject events that reference users that never registered (in order within the file)."""
    with_ids = [(item, _user_ids(item.event)) for item in accepted]
    users.prefetch({uid for _, ids in with_ids for uid in ids})
    known = users.known
    ok: list[Accepted] = []
    rejected: list[Rejected] = []
    for item, ids in with_ids:
        event = item.event
        if event.event_type == "user_registered":
            # The registration introduces its own user: it cannot reference itself as missing.
            known.add(event.payload.user_id)  # type: ignore[attr-defined]
        missing = [uid for uid in ids if uid not in known]
        if missing:
            missing = sorted(set(missing))
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


@dataclass
class FileDeduper:
    """In-file de-duplication while streaming; turns accepted lines into COPY rows."""

    #: event_id -> md5 (hex) of the first occurrence's line.
    seen: dict[UUID, str] = field(default_factory=dict)
    first: int = 0  # first occurrences staged
    repeats: int = 0  # repeats with other bytes, staged for the SQL comparison
    duplicates: int = 0  # byte-identical repeats: counted, never staged

    def rows(self, accepted: list[Accepted]) -> list[bytes]:
        """COPY rows ``line_no, event_id, event_hash, line, repeat`` for one batch."""
        seen = self.seen
        out: list[bytes] = []
        for item in accepted:
            event_id = item.event.event_id
            digest = md5(item.line, usedforsecurity=False).hexdigest()
            prev = seen.get(event_id)
            if prev is None:
                seen[event_id] = digest
                self.first += 1
                flag = b"f"
            elif prev == digest:
                self.duplicates += 1
                continue
            else:
                self.repeats += 1
                flag = b"t"
            out.append(
                b"%d\t%s\t%s\t%s\t%s\n"
                % (item.line_no, event_id.hex.encode(), digest.encode(), copy_escape(item.line),
                   flag)
            )  # fmt: skip
        return out


#: The same normalised event: same md5 of the line, or equal envelope and ``jsonb`` payload.
#: ``c`` is the loaded event (``raw.events`` columns), ``d.doc`` the new line as ``jsonb``
#: (parsed only when the hashes differ).
_SAME_EVENT = """
    c.hash_equal OR coalesce(
        c.event_type = d.doc ->> 'event_type'
        AND c.occurred_at = (d.doc ->> 'occurred_at')::timestamptz
        AND c.schema_version = (d.doc ->> 'schema_version')::smallint
        AND c.actor_id IS NOT DISTINCT FROM (d.doc ->> 'actor_id')::integer
        AND c.entity_type = d.doc ->> 'entity_type'
        AND c.entity_id = d.doc ->> 'entity_id'
        AND c.payload = d.doc -> 'payload', false)
"""

#: Staged lines that were not inserted (their event_id was loaded by an earlier file) and
#: staged repeats, each with the loaded event it collides with.
CLASSIFY_SKIPPED_SQL = f"""
SELECT c.line_no, c.event_id, {_SAME_EVENT} AS same, c.other, c.line
FROM (
    SELECT s.line_no, s.event_id, s.line, s.event_hash = e.event_hash AS hash_equal,
           e.event_type, e.occurred_at, e.schema_version, e.actor_id, e.entity_type,
           e.entity_id, e.payload,
           CASE WHEN e.manifest_id = %(manifest_id)s
                THEN 'line ' || e.source_line || ' of this object'
                ELSE e.source_object || ' line ' || e.source_line END AS other
    FROM ingest_lines s JOIN raw.events e ON e.event_id = s.event_id
    WHERE s.repeat OR e.manifest_id <> %(manifest_id)s
    OFFSET 0
) c
CROSS JOIN LATERAL (SELECT CASE WHEN NOT c.hash_equal THEN c.line::jsonb END AS doc
                    OFFSET 0) d
"""


def classify_skipped(conn: psycopg.Connection, manifest_id: int) -> tuple[int, list[Rejected]]:
    """(exact duplicates, conflicts to quarantine) among the staged lines not inserted."""
    conn.execute("ANALYZE ingest_lines")  # the join must use the event_id index
    rows = conn.execute(CLASSIFY_SKIPPED_SQL, {"manifest_id": manifest_id}).fetchall()
    duplicates = 0
    conflicts: list[Rejected] = []
    for line_no, event_id, same, other, line in rows:
        if same:
            duplicates += 1
            continue
        conflicts.append(
            Rejected(
                line_no,
                line.encode(),
                Reason.DUPLICATE_EVENT_ID_CONFLICT,
                f"event_id already seen with different content ({other})",
                str(event_id),
            )
        )
    conflicts.sort(key=lambda r: r.line_no)
    return duplicates, conflicts
