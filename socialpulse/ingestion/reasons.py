"""Quarantine reason codes and the mapping from a Pydantic error to a reason."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only its .errors() is used: importing pydantic is left to the validators
    from pydantic import ValidationError


class Reason(StrEnum):
    """Why a line, an object's tail or a whole object was quarantined."""

    # whole objects (one quarantine row, line_no null; nothing of the object is loaded)
    UNREADABLE_OBJECT = "unreadable_object"  # vanished between listing and reading
    NOT_GZIP = "not_gzip"  # does not start as a gzip stream
    NOT_UTF8 = "not_utf8"  # bytes are not UTF-8 (e.g. UTF-16 with a BOM)
    EMPTY_FILE = "empty_file"  # zero lines (and not declared empty by its producer)
    UNPROCESSABLE_OBJECT = "unprocessable_object"  # a stage failed on it (not a service)
    # an object's tail (one row after its last complete line; the lines before it load)
    TRUNCATED_GZIP = "truncated_gzip"  # the gzip stream ends before its end marker
    CORRUPT_GZIP = "corrupt_gzip"  # invalid compressed data, CRC mismatch, trailing garbage
    OBJECT_TOO_LARGE = "object_too_large"  # more than INGEST_MAX_OBJECT_BYTES/LINES
    # single lines; the bounds are checked before any JSON parsing
    LINE_TOO_LONG = "line_too_long"  # more than INGEST_MAX_LINE_BYTES
    TOO_DEEPLY_NESTED = "too_deeply_nested"  # arrays/objects deeper than INGEST_MAX_DEPTH
    TOO_MANY_KEYS = "too_many_keys"  # more object keys than INGEST_MAX_KEYS
    MALFORMED_JSON = "malformed_json"  # not parseable JSON
    SCHEMA_VIOLATION = "schema_violation"  # wrong type, missing or unknown field
    INVALID_FORMAT = "invalid_format"  # a string that breaks its pattern/length rule
    OUT_OF_RANGE = "out_of_range"  # a number outside its range
    UNKNOWN_ENUM = "unknown_enum"  # a value outside its enum / unknown event_type
    FUTURE_TIMESTAMP = "future_timestamp"  # occurred_at after now (+ skew)
    INVALID_VALUE = "invalid_value"  # any other contract rule (e.g. self-follow)
    UNPROCESSABLE_LINE = "unprocessable_line"  # validation failed unexpectedly on it
    UNKNOWN_USER_REFERENCE = "unknown_user_reference"  # a user that never registered
    DUPLICATE_EVENT_ID_CONFLICT = "duplicate_event_id_conflict"  # same id, other content


#: Reasons for the unreadable rest of an object whose earlier lines load.
TAIL_REASONS = frozenset({Reason.TRUNCATED_GZIP, Reason.CORRUPT_GZIP, Reason.OBJECT_TOO_LARGE})

_RANGE_ERRORS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "multiple_of",
     "decimal_max_digits", "decimal_max_places", "decimal_whole_digits", "finite_number"}
)  # fmt: skip
_FORMAT_ERRORS = frozenset(
    {"string_pattern_mismatch", "string_too_short", "string_too_long", "too_long", "too_short"}
)
_ENUM_ERRORS = frozenset({"literal_error", "enum", "union_tag_invalid"})


def _error_reason(err: dict[str, Any]) -> Reason:
    kind = str(err.get("type", ""))
    if kind == "json_invalid":
        return Reason.MALFORMED_JSON
    if kind in _RANGE_ERRORS:
        return Reason.OUT_OF_RANGE
    if kind in _FORMAT_ERRORS:
        return Reason.INVALID_FORMAT
    if kind in _ENUM_ERRORS:
        value = err.get("input")
        # A number where a numeric literal was expected (schema_version 99) is out of
        # range; anything that is not a string where a string enum was expected is a type
        # error; only a string outside the allowed set is an unknown enum value.
        if isinstance(value, int) and not isinstance(value, bool):
            expected = str(err.get("ctx", {}).get("expected", ""))
            return Reason.OUT_OF_RANGE if expected[:1].isdigit() else Reason.SCHEMA_VIOLATION
        return Reason.UNKNOWN_ENUM if isinstance(value, str) else Reason.SCHEMA_VIOLATION
    if kind == "value_error":
        loc = err.get("loc", ())
        if loc and loc[-1] == "occurred_at" and "future" in str(err.get("msg", "")):
            return Reason.FUTURE_TIMESTAMP
        return Reason.INVALID_VALUE
    # *_type, *_parsing, missing, extra_forbidden, union_tag_not_found, model_type, ...
    return Reason.SCHEMA_VIOLATION


# When one line breaks several rules, the reason reported is the most specific one.
_PRIORITY = (
    Reason.MALFORMED_JSON,
    Reason.FUTURE_TIMESTAMP,
    Reason.UNKNOWN_ENUM,
    Reason.OUT_OF_RANGE,
    Reason.INVALID_FORMAT,
    Reason.INVALID_VALUE,
    Reason.SCHEMA_VIOLATION,
)


def classify(exc: ValidationError) -> tuple[Reason, str]:
    """The reason code and a short, human-readable detail for a failed validation."""
    errors: list[dict[str, Any]] = [dict(e) for e in exc.errors(include_url=False)]
    reasons = [_error_reason(e) for e in errors]
    reason = min(reasons, key=_PRIORITY.index) if reasons else Reason.SCHEMA_VIOLATION
    first: dict[str, Any] = errors[reasons.index(reason)] if reasons else {}
    loc = ".".join(str(p) for p in first.get("loc", ()))
    detail = f"{first.get('type', 'error')} at {loc or '<line>'}: {first.get('msg', exc)}"
    if len(errors) > 1:
        detail += f" (+{len(errors) - 1} more)"
    return reason, detail[:1000]
