"""Dirty data on demand: defects injected into the minute files, each listed in a manifest.

Line defects are *extra* lines derived from a real event and inserted after it, so the clean
events of a minute are never lost (ingestion that quarantines the defects keeps every valid
event). File defects are extra objects ``<minute>.late-N.jsonl.gz`` for an earlier minute:

* ``late_file``: events held back from that minute's object and delivered 1-10 minutes later
  (valid events; ingestion must accept them although their minute was already loaded);
* ``empty_file``: an object with zero lines;
* ``not_utf8``: copies of lines already delivered, encoded as UTF-16 (not UTF-8).

Every defect is recorded as ``{object_key, line, defect, event_id, detail}`` (``line`` is
1-based, null for a whole-file defect) in ``defects/<object path>.json``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import ValidationError

from generator.writer import encode
from socialpulse.contracts import EVENT_TYPES, validate_line


class DefectClass(StrEnum):
    """What is wrong with a line or an object; ingestion maps these to quarantine reasons."""

    DUPLICATE_LINE = "duplicate_line"  # an exact copy of an earlier line
    CONFLICTING_DUPLICATE = "conflicting_duplicate"  # same event_id, different content
    MALFORMED_JSON = "malformed_json"  # not parseable JSON
    WRONG_TYPE = "wrong_type"  # a field of the wrong JSON type
    OUT_OF_RANGE = "out_of_range"  # a number outside its range (negative amount, id < 1)
    FUTURE_TIMESTAMP = "future_timestamp"  # occurred_at in the future (year 2099)
    UNKNOWN_ENUM = "unknown_enum"  # a value outside its enum
    UNKNOWN_REFERENCE = "unknown_reference"  # a user id that was never issued
    LATE_FILE = "late_file"  # a valid event delivered in a late object
    EMPTY_FILE = "empty_file"  # an object without lines
    NOT_UTF8 = "not_utf8"  # an object whose bytes are not UTF-8


#: Defects that the contracts themselves reject (``validate_line`` raises).
CONTRACT_INVALID: frozenset[DefectClass] = frozenset(
    {
        DefectClass.MALFORMED_JSON,
        DefectClass.WRONG_TYPE,
        DefectClass.OUT_OF_RANGE,
        DefectClass.FUTURE_TIMESTAMP,
        DefectClass.UNKNOWN_ENUM,
    }
)
LINE_DEFECTS: tuple[DefectClass, ...] = (
    DefectClass.DUPLICATE_LINE,
    DefectClass.CONFLICTING_DUPLICATE,
    DefectClass.MALFORMED_JSON,
    DefectClass.WRONG_TYPE,
    DefectClass.OUT_OF_RANGE,
    DefectClass.FUTURE_TIMESTAMP,
    DefectClass.UNKNOWN_ENUM,
    DefectClass.UNKNOWN_REFERENCE,
)
#: File-level defects happen per minute with probability FILE_DEFECT_FACTOR x rate.
FILE_DEFECT_FACTOR = 2.0
VALIDITY_NOW = datetime(2098, 1, 1, tzinfo=UTC)
#: Ids at or above this were never issued (the generator stays far below it).
UNKNOWN_USER_BASE = 2_000_000_000


@dataclass
class Defect:
    object_key: str
    line: int | None
    defect: DefectClass
    event_id: str | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "object_key": self.object_key,
            "line": self.line,
            "defect": self.defect.value,
            "event_id": self.event_id,
            "detail": self.detail,
        }


@dataclass
class OutObject:
    """One object to write: its key, uncompressed bytes, line count and defects."""

    key: str
    minute: datetime
    raw: bytes
    records: int | None  # None: not declared in the object's metadata
    defects: list[Defect] = field(default_factory=list)


@dataclass
class DirtyState:
    """What dirty mode must remember across minutes (pickled with the world)."""

    rng: random.Random
    # (due minute index, covered minute, lines, defect class per line)
    held: list[tuple[int, datetime, list[bytes], list[DefectClass]]] = field(default_factory=list)
    late_counter: dict[str, int] = field(default_factory=dict)
    previous: tuple[datetime, list[bytes]] | None = None


def _new_id(rng: random.Random) -> str:
    bits = (rng.getrandbits(128) & ~(0xF000 << 64)) | (0x4000 << 64)
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _is_valid(line: bytes, now: datetime) -> bool:
    try:
        validate_line(line, now=now)
    except ValidationError:
        return False
    return True


def _is_enum(annotation: Any) -> bool:
    """True for ``Literal[...]`` and ``Literal[...] | None`` annotations."""
    if get_origin(annotation) is Literal:
        return True
    return any(get_origin(arg) is Literal for arg in get_args(annotation))


@cache
def _enum_fields(event_type: str) -> tuple[str, ...]:
    """Payload fields of ``event_type`` whose type is an enum (a ``Literal``)."""
    model = EVENT_TYPES[event_type][0]
    return tuple(name for name, f in model.model_fields.items() if _is_enum(f.annotation))


def _mutations(
    event: dict[str, Any], defect: DefectClass, rng: random.Random
) -> list[dict[str, Any]]:
    """Candidate broken copies of ``event`` for ``defect`` (the caller keeps the first that
    behaves as intended, checked against the contracts)."""
    payload = event["payload"]
    out: list[dict[str, Any]] = []

    def with_payload(name: str, value: Any) -> dict[str, Any]:
        return {**event, "payload": {**payload, name: value}}

    ints = [k for k, v in payload.items() if isinstance(v, int) and not isinstance(v, bool)]
    strs = [k for k, v in payload.items() if isinstance(v, str)]
    if defect is DefectClass.CONFLICTING_DUPLICATE:
        out += [with_payload(k, not v) for k, v in payload.items() if isinstance(v, bool)]
        out += [with_payload(k, payload[k] + 1) for k in ints]
        ms = int(event["occurred_at"][-4:-1])
        out.append({**event, "occurred_at": f"{event['occurred_at'][:-4]}{(ms + 1) % 1000:03d}Z"})
    elif defect is DefectClass.WRONG_TYPE:
        out += [with_payload(k, str(payload[k])) for k in ints]
        out += [with_payload(k, 12345) for k in strs]
        out.append({**event, "actor_id": "someone"})
    elif defect is DefectClass.OUT_OF_RANGE:
        for money in ("amount", "cost", "daily_budget"):
            if money in payload:
                out.append(with_payload(money, -abs(float(payload[money])) - 1))
        out += [with_payload(k, -rng.randint(1, 1000)) for k in ints]
        out.append({**event, "schema_version": 99})
    elif defect is DefectClass.FUTURE_TIMESTAMP:
        out.append({**event, "occurred_at": "2099" + event["occurred_at"][4:]})
    elif defect is DefectClass.UNKNOWN_ENUM:
        # Only real enum fields: a broken e-mail or date would be a different defect.
        enums = [k for k in _enum_fields(event["event_type"]) if isinstance(payload.get(k), str)]
        out += [with_payload(k, "unknown_value") for k in enums]
        out.append({**event, "entity_type": "unknown_entity"})
    return out


class Injector:
    """Adds defects to one minute's lines at a per-line ``rate`` (file defects: per minute)."""

    def __init__(self, state: DirtyState, rate: float) -> None:
        self.state = state
        self.rate = rate

    def _late_key(self, minute: datetime) -> str:
        from generator.writer import object_key

        base = object_key(minute)
        n = self.state.late_counter.get(base, 0) + 1
        self.state.late_counter[base] = n
        return object_key(minute, late=n)

    def _line_defect(
        self, event: dict[str, Any], line: bytes, defect: DefectClass, now: datetime
    ) -> tuple[bytes, str | None, str] | None:
        rng = self.state.rng
        if defect is DefectClass.DUPLICATE_LINE:
            return line, event["event_id"], "exact copy of an earlier line"
        if defect is DefectClass.MALFORMED_JSON:
            new_id = _new_id(rng)
            text = encode([{**event, "event_id": new_id}])[0]
            return text[: rng.randrange(len(text) // 3, len(text) - 1)], new_id, "truncated line"
        if defect is DefectClass.UNKNOWN_REFERENCE:
            if event["event_type"] == "user_registered":
                return None  # a new id here is a valid new user, not a dangling reference
            model_fields = [k for k in ("user_id", "author_id", "follower_id", "donor_id",
                                        "reporter_id", "subscriber_id", "viewer_id")
                            if k in event["payload"]]  # fmt: skip
            if not model_fields:
                return None
            ghost = UNKNOWN_USER_BASE + rng.randrange(100_000_000)
            new_id = _new_id(rng)
            broken = {
                **event,
                "event_id": new_id,
                "payload": {**event["payload"], model_fields[0]: ghost},
            }
            if broken["actor_id"] is not None:
                broken["actor_id"] = ghost
            text = encode([broken])[0]
            return (
                (text, new_id, f"{model_fields[0]}={ghost} never existed")
                if _is_valid(text, now)
                else None
            )
        for candidate in _mutations(event, defect, rng):
            if defect is not DefectClass.CONFLICTING_DUPLICATE:
                candidate = {**candidate, "event_id": _new_id(rng)}
            text = encode([candidate])[0]
            wanted_valid = defect is DefectClass.CONFLICTING_DUPLICATE
            if text != line and _is_valid(text, now) == wanted_valid:
                return (
                    text,
                    str(candidate["event_id"]),
                    "see line; derived from " + event["event_id"],
                )
        return None

    def apply(
        self, minute: datetime, minute_index: int, events: list[dict[str, Any]], lines: list[bytes]
    ) -> list[OutObject]:
        """The objects to write for this minute: its own object plus any due late objects."""
        from generator.writer import join_lines, object_key

        rng = self.state.rng
        now = VALIDITY_NOW  # "valid" here means valid for any realistic ingestion time
        key = object_key(minute)
        out: list[OutObject] = []
        keep = list(range(len(lines)))
        # Hold some events back for a late object.
        if lines and rng.random() < FILE_DEFECT_FACTOR * self.rate:
            k = min(len(lines) // 10 + 1, rng.randint(1, 20))
            held = sorted(rng.sample(keep, k))
            held_set = set(held)
            keep = [i for i in keep if i not in held_set]
            late_lines = [lines[i] for i in held]
            classes = [DefectClass.LATE_FILE] * len(late_lines)
            if keep:  # plus a cross-object duplicate of a line that stays in the main object
                late_lines.append(lines[rng.choice(keep)])
                classes.append(DefectClass.DUPLICATE_LINE)
            due = minute_index + rng.randint(1, 10)
            self.state.held.append((due, minute, late_lines, classes))
        # Line defects: inserted after the line they derive from.
        inserts: dict[int, list[tuple[bytes, DefectClass, str | None, str]]] = {}
        for _ in range(sum(1 for _ in keep if rng.random() < self.rate)):
            pos = rng.randrange(len(keep))
            src = keep[pos]
            defect = rng.choice(LINE_DEFECTS)
            made = self._line_defect(events[src], lines[src], defect, now)
            if made is None:
                continue
            after = keep[rng.randrange(pos, len(keep))]
            inserts.setdefault(after, []).append((made[0], defect, made[1], made[2]))
        final: list[bytes] = []
        defects: list[Defect] = []
        for i in keep:
            final.append(lines[i])
            for text, defect, event_id, detail in inserts.get(i, ()):
                final.append(text)
                defects.append(Defect(key, len(final), defect, event_id, detail))
        out.append(OutObject(key, minute, join_lines(final), len(final), defects))
        # Late objects that are due now.
        due_now = [h for h in self.state.held if h[0] <= minute_index]
        self.state.held = [h for h in self.state.held if h[0] > minute_index]
        out += [self._held_object(covered, held, classes) for _, covered, held, classes in due_now]
        # An empty object, and a non-UTF-8 object, for the previous minute.
        previous = self.state.previous
        if previous is not None and rng.random() < FILE_DEFECT_FACTOR * self.rate / 2:
            late_key = self._late_key(previous[0])
            out.append(OutObject(late_key, previous[0], b"", None,
                                 [Defect(late_key, None, DefectClass.EMPTY_FILE, None, "no lines")]))  # fmt: skip
        if (
            previous is not None
            and previous[1]
            and rng.random() < FILE_DEFECT_FACTOR * self.rate / 2
        ):
            late_key = self._late_key(previous[0])
            copies = rng.sample(previous[1], min(5, len(previous[1])))
            defects16 = [Defect(late_key, None, DefectClass.NOT_UTF8, None, "encoded as UTF-16")]
            defects16 += [
                Defect(late_key, n, DefectClass.NOT_UTF8, json.loads(text)["event_id"],
                       "copy of a delivered line, UTF-16")
                for n, text in enumerate(copies, start=1)
            ]  # fmt: skip
            raw16 = join_lines(copies).decode().encode("utf-16")
            out.append(OutObject(late_key, previous[0], raw16, len(copies), defects16))
        self.state.previous = (minute, [lines[i] for i in keep])
        return out

    def flush_held(self) -> list[OutObject]:
        """Deliver every held-back event now (end of a backfill: nothing valid is lost)."""
        out = [
            self._held_object(covered, held, classes)
            for _, covered, held, classes in self.state.held
        ]
        self.state.held = []
        return out

    def _held_object(
        self, covered: datetime, lines: list[bytes], classes: list[DefectClass]
    ) -> OutObject:
        """The late object delivering ``lines`` held back from minute ``covered``."""
        from generator.writer import join_lines, object_key

        late_key = self._late_key(covered)
        defects = [
            Defect(late_key, n, cls, json.loads(text)["event_id"],
                   "held back from " + object_key(covered))
            for n, (text, cls) in enumerate(zip(lines, classes, strict=True), start=1)
        ]  # fmt: skip
        return OutObject(late_key, covered, join_lines(lines), len(lines), defects)
