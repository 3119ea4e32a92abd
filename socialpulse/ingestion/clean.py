"""Clean: referential check of user ids, then de-duplication, into COPY-ready rows.

* References are checked per batch with one query (``= ANY``) for the ids not looked up
  yet in this run, plus the users registered earlier in the same object or by an earlier
  object of the same run (those are checked again at load, see :class:`UserDirectory`).
* Within an object, :class:`ObjectCleaner` keeps ``event_id -> md5(line)`` of the first
  occurrence of every event (O(lines) of small entries per object, never the lines): a
  byte-identical repeat is a *duplicate* at once; a repeat with other bytes is staged as a
  ``repeat`` and compared with the loaded event in SQL (it may differ only in key order or
  whitespace).
* Against events already loaded: one ``= ANY`` look-up per batch; an exact copy is a
  duplicate (dropped), other bytes are staged as a ``repeat``.
* Across objects of the same run (and against anything loaded between this stage and the
  load), the first occurrences are inserted with ``ON CONFLICT (event_id) DO NOTHING``;
  only when something was skipped (or repeats were staged) does :func:`classify_skipped`
  compare those lines with the events already loaded: the same *normalised* event (same
  md5 of the line, or equal envelope columns and equal ``jsonb`` payload, so key order,
  whitespace and number spelling do not matter) is a *duplicate*, anything else a
  *conflict* (quarantined). The first write wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any
from uuid import UUID

import psycopg

from socialpulse.contracts import EventEnvelope
from socialpulse.ingestion.loader import copy_escape
from socialpulse.ingestion.reasons import Reason
from socialpulse.ingestion.validate import Rejected


class UserDirectory:
    """Which user ids exist, for one run: the warehouse's users + this run's registrations.

    ``registered_here`` holds users registered by earlier objects of the *same run* (they
    are not committed yet when a later object is cleaned); an object that relies on them
    records them as ``needs_users`` and the load stage checks they were committed first.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.known: set[int] = set()  # committed in raw.known_users
        self.looked_up: set[int] = set()
        self.registered_here: set[int] = set()  # by earlier objects of this run

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


def user_ids(event: EventEnvelope) -> list[int]:
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


@dataclass(slots=True)
class CleanBatch:
    """One cleaned batch: what the load stage needs (see ``stages.COPY_SCHEMA``)."""

    first_line: int
    last_line: int
    rows: bytes  # raw.events COPY text of the new events (without manifest_id, key)
    repeats: bytes  # ingest_lines COPY text of lines to compare with loaded events
    # the new events' line data, used only if their COPY meets an event loaded meanwhile
    line_nos: list[int] = field(default_factory=list)
    event_ids: list[bytes] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    # registrations among the new events, for raw.known_users
    reg_users: list[int] = field(default_factory=list)
    reg_event_ids: list[bytes] = field(default_factory=list)
    reg_at: list[str] = field(default_factory=list)


@dataclass
class ObjectCleaner:
    """Cleans one object's validated lines, batch by batch, into COPY rows.

    * references: every user id must be registered (warehouse, an earlier object of the
      run, or earlier in this object); otherwise the line is rejected;
    * within the object: ``event_id -> md5`` of each first occurrence; a byte-identical
      repeat is a duplicate (dropped), a repeat with other bytes is staged as a *repeat*;
    * against events already loaded: one ``= ANY`` look-up per batch; the same bytes
      (md5) is a duplicate (dropped; loaded events never change), other bytes are staged
      as a *repeat* for the load stage's normalised comparison.
    """

    users: UserDirectory
    #: event_id (16 bytes) -> md5 (hex) of the first occurrence's line.
    seen: dict[bytes, str] = field(default_factory=dict)
    registered_now: set[int] = field(default_factory=set)  # by this object
    needs_users: set[int] = field(default_factory=set)  # registered by earlier objects
    first: int = 0  # first occurrences staged for insert
    repeats: int = 0  # staged for the SQL comparison only
    duplicates: int = 0  # exact copies: counted, never staged

    def batch(
        self,
        line_nos: list[int],
        lines: list[bytes],
        event_ids: list[bytes],
        refs: list[list[int]],
        registers: list[int],
        digests: list[str],
        rows: list[bytes],
        occurred: list[str],
    ) -> tuple[CleanBatch, list[Rejected]]:
        """One validated batch (``registers`` 0 = not a registration) -> (clean, rejected)."""
        users = self.users
        users.prefetch({uid for ids in refs for uid in ids})
        known, here, now = users.known, users.registered_here, self.registered_now
        loaded = self._loaded_hashes(event_ids)
        seen = self.seen
        new_rows: list[bytes] = []
        out = CleanBatch(line_nos[0] if line_nos else 0, line_nos[-1] if line_nos else 0, b"", b"")
        firsts: tuple[list[Any], ...] = (out.line_nos, out.event_ids, out.digests, out.lines)
        regs: tuple[list[Any], ...] = (out.reg_users, out.reg_event_ids, out.reg_at)
        repeats: list[bytes] = []
        rejected: list[Rejected] = []
        for line_no, line, eid, ids, reg, digest, row, at in zip(
            line_nos, lines, event_ids, refs, registers, digests, rows, occurred, strict=True
        ):
            if reg:
                now.add(reg)  # a registration introduces its own user
            missing = [uid for uid in ids if uid not in known and uid not in now]
            if missing:
                earlier = [uid for uid in missing if uid in here]
                if len(earlier) < len(missing):
                    bad = sorted(set(missing) - set(earlier))
                    rejected.append(
                        Rejected(line_no, line, Reason.UNKNOWN_USER_REFERENCE,
                                 f"user id(s) {bad[:10]} never registered", str(UUID(bytes=eid)),
                                 bad)
                    )  # fmt: skip
                    if reg:
                        now.discard(reg)
                    continue
                self.needs_users.update(earlier)
            prev = seen.get(eid)
            if prev is None:
                seen[eid] = digest
                done = loaded.get(eid)
                if done is None:  # the usual case: a new event
                    self.first += 1
                    new_rows.append(row)
                    for col, value in zip(firsts, (line_no, eid, digest, line), strict=True):
                        col.append(value)
                    if reg:
                        for col, value in zip(regs, (reg, eid, at), strict=True):
                            col.append(value)
                    continue
                if done == digest:
                    self.duplicates += 1
                    continue
            elif prev == digest:
                self.duplicates += 1
                continue
            self.repeats += 1
            repeats.append(
                b"%d\t%s\t%s\t%s\tt\n"
                % (line_no, eid.hex().encode(), digest.encode(), copy_escape(line))
            )
        out.rows = b"\n".join(new_rows) + b"\n" if new_rows else b""
        out.repeats = b"".join(repeats)
        return out, rejected

    def _loaded_hashes(self, event_ids: list[bytes]) -> dict[bytes, str]:
        """event_id -> event_hash of the batch's events that are already loaded."""
        if not event_ids:
            return {}
        # One text array literal ('{hex,hex,...}'): no UUID object per id on either side.
        ids = "{" + ",".join([e.hex() for e in event_ids]) + "}"
        rows = self.users.conn.execute(
            "SELECT event_id, event_hash FROM raw.events WHERE event_id = ANY(%s::uuid[])",
            (ids,),
        ).fetchall()
        return {r[0].bytes: r[1] for r in rows}


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
