"""Escapes that JSON allows but PostgreSQL's jsonb refuses are caught before the COPY."""

from __future__ import annotations

import pytest

from socialpulse.ingestion.validate import unstorable_escape


@pytest.mark.parametrize(
    ("line", "found"),
    [
        (rb'{"a": "x\u0000y"}', r"\u0000"),
        (rb'{"a": "\ud83d x"}', r"\ud83d"),
        (rb'{"a": "\ude00"}', r"\ude00"),
        (rb'{"a": "\ud83d\ude00"}', None),  # a proper surrogate pair is an emoji
        (rb'{"a": "\\u0000"}', None),  # an escaped backslash, then plain text
        (rb'{"a": "\u00e9"}', None),
        (rb'{"a": "plain"}', None),
    ],
)
def test_unstorable_escapes_are_found_and_nothing_else(line: bytes, found: str | None) -> None:
    assert unstorable_escape(line) == found
