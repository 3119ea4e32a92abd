"""What one line may cost is bounded before it is parsed; no line can fail its batch."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from socialpulse.ingestion.limits import LineLimits
from socialpulse.ingestion.reasons import Reason
from socialpulse.ingestion.validate import out_of_bounds, validate_batch

LIMITS = LineLimits(max_depth=32, max_keys=1000)
NOW = datetime.now(UTC) + timedelta(minutes=5)


def _event(**payload_extra: object) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": "follow_started",
            "occurred_at": "2026-01-01T00:00:00.000Z",
            "schema_version": 1,
            "actor_id": 1,
            "entity_type": "follow",
            "entity_id": "1:2",
            "payload": {"follower_id": 1, "followee_id": 2, **payload_extra},
        }
    ).encode()


def test_an_event_is_within_bounds() -> None:
    assert out_of_bounds(_event(), LIMITS) is None


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_nesting_deeper_than_the_bound_is_refused(depth: int) -> None:
    line = b"[" * depth + b"]" * depth
    started = time.perf_counter()
    found = out_of_bounds(line, LIMITS)
    assert found is not None
    assert found[0] is Reason.TOO_DEEPLY_NESTED
    assert time.perf_counter() - started < 1.0  # a byte scan, not a parse


def test_nesting_at_the_bound_and_brackets_inside_strings_are_fine() -> None:
    assert out_of_bounds(b"[" * 32 + b"]" * 32, LIMITS) is None
    # 400 brackets, all inside a string: the structure is two levels deep.
    assert out_of_bounds(b'{"text": "' + b"[{" * 200 + b'"}', LIMITS) is None
    # Escaped quotes do not end the string early.
    assert out_of_bounds(b'{"text": "\\"' + b"[" * 100 + b'"}', LIMITS) is None


def test_an_unbalanced_deep_line_is_refused_too() -> None:
    found = out_of_bounds(b'{"a": ' + b"[" * 5000, LIMITS)
    assert found is not None
    assert found[0] is Reason.TOO_DEEPLY_NESTED


def test_more_keys_than_the_bound_are_refused_and_colons_in_strings_do_not_count() -> None:
    many = b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(1001)) + b"}"
    found = out_of_bounds(many, LIMITS)
    assert found is not None
    assert found[0] is Reason.TOO_MANY_KEYS
    assert "1,001 object keys" in found[1]
    assert out_of_bounds(_event(note="12:00:00 " * 500), LIMITS) is None


def test_validation_quarantines_each_bad_line_and_keeps_the_good_ones() -> None:
    good = _event()
    lines = [
        good,
        b"[" * 100_000 + b"]" * 100_000,  # raised RecursionError for the whole object before
        b"{" + b",".join(b'"k%d": 0' % i for i in range(5000)) + b"}",
        b'{"event_id": ' + b"[" * 30 + b"]" * 30 + b"}",
        b"not json",
    ]
    accepted, rejected = validate_batch(list(enumerate(lines, start=1)), NOW, LIMITS)
    assert [a.line_no for a in accepted] == [1]
    assert {r.line_no: r.reason for r in rejected} == {
        2: Reason.TOO_DEEPLY_NESTED,
        3: Reason.TOO_MANY_KEYS,
        4: Reason.SCHEMA_VIOLATION,
        5: Reason.MALFORMED_JSON,
    }
