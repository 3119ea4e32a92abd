"""Reading objects as producers really write them: gzip streams, line ends, BOMs, breaks.

No services: the reader works on any file-like HTTP body, here an in-memory one. Expected
lines come from the bytes each test builds (and, for a cut stream, from zlib itself).
"""

from __future__ import annotations

import gzip
import io
import os
import tracemalloc
import zlib
from typing import Any

import pytest

from socialpulse.ingestion.limits import ReadLimits
from socialpulse.ingestion.reader import (
    KEPT_BYTES,
    LineReject,
    PoisonObjectError,
    iter_batches,
    iter_records,
)
from socialpulse.ingestion.reasons import Reason

LINES = [b'{"n": %d, "text": "line %d"}' % (i, i) for i in range(1, 201)]
BODY = b"\n".join(LINES) + b"\n"


def _records(data: bytes, **limits: int) -> list[tuple[int, Any]]:
    return list(iter_records(io.BytesIO(data), ReadLimits(**limits)))


def _lines(records: list[tuple[int, Any]]) -> list[bytes]:
    return [line for _, line in records if isinstance(line, bytes)]


def _refused(records: list[tuple[int, Any]]) -> list[LineReject]:
    return [line for _, line in records if isinstance(line, LineReject)]


def test_every_line_is_read_with_its_line_number() -> None:
    records = _records(gzip.compress(BODY))
    assert records == list(enumerate(LINES, start=1))


def test_a_leading_utf8_bom_is_skipped() -> None:
    records = _records(gzip.compress(b"\xef\xbb\xbf" + BODY))
    assert _lines(records) == LINES
    assert _refused(records) == []


def test_crlf_line_ends_and_a_missing_last_line_end_are_accepted() -> None:
    body = b"\r\n".join(LINES)  # no line end after the last line
    assert _lines(_records(gzip.compress(body))) == LINES


def test_empty_lines_are_not_records_but_keep_the_line_numbers() -> None:
    records = _records(gzip.compress(b"a\n\n\r\nb\n\n\n"))
    assert records == [(1, b"a"), (4, b"b")]


def test_several_gzip_members_and_zero_padding_are_one_stream() -> None:
    data = gzip.compress(b"\n".join(LINES[:50]) + b"\n") + gzip.compress(BODY[0:0])
    data += gzip.compress(b"\n".join(LINES[50:]) + b"\n") + b"\0" * 512
    assert _lines(_records(data)) == LINES


def test_a_truncated_gzip_gives_its_complete_lines_and_one_tail_row() -> None:
    data = gzip.compress(BODY, compresslevel=1)
    cut = data[: len(data) // 2]
    # What zlib itself can decompress from the cut bytes: its complete lines are expected.
    prefix = zlib.decompressobj(31).decompress(cut)
    complete = prefix.count(b"\n")
    assert 0 < complete < len(LINES)
    records = _records(cut)
    assert _lines(records) == LINES[:complete]
    (tail,) = _refused(records)
    assert tail.reason is Reason.TRUNCATED_GZIP
    assert tail.line_no == complete + 1
    assert tail.raw == prefix[prefix.rindex(b"\n") + 1 :]  # the partial line, kept


def test_corrupt_data_and_trailing_garbage_end_in_a_corrupt_gzip_tail() -> None:
    garbage = _records(gzip.compress(BODY) + b"these bytes are not gzip")
    assert _lines(garbage) == LINES
    assert [r.reason for r in _refused(garbage)] == [Reason.CORRUPT_GZIP]
    bad_crc = bytearray(gzip.compress(BODY))
    bad_crc[-6] ^= 0xFF
    crc = _refused(_records(bytes(bad_crc)))
    assert [r.reason for r in crc] == [Reason.CORRUPT_GZIP]
    assert "incorrect data check" in crc[0].detail


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"plain text, not gzip\n", Reason.NOT_GZIP),
        (bytes(range(256)), Reason.NOT_GZIP),
        (gzip.compress("hé\n".encode("utf-16")), Reason.NOT_UTF8),
        (gzip.compress(b"\xff\xfe\x00bad\n" + BODY), Reason.NOT_UTF8),
    ],
)
def test_an_object_that_is_not_gzipped_utf8_is_refused_whole(data: bytes, reason: Reason) -> None:
    with pytest.raises(PoisonObjectError) as info:
        _records(data)
    assert info.value.reason is reason


def test_a_zero_byte_object_has_no_records() -> None:
    assert _records(b"") == []
    assert _records(gzip.compress(b"")) == []


def test_an_over_long_line_is_refused_while_it_streams_past() -> None:
    size = 60 * 1024 * 1024
    data = gzip.compress(b"x" * 10 + b"\n" + b"[" * size + b"\n" + b"y" * 10 + b"\n", 1)
    tracemalloc.start()
    try:
        records = _records(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert _lines(records) == [b"x" * 10, b"y" * 10]
    (refused,) = _refused(records)
    assert (refused.line_no, refused.reason) == (2, Reason.LINE_TOO_LONG)
    assert refused.raw == b"[" * KEPT_BYTES
    assert f"{size:,} bytes" in refused.detail
    assert peak < 32 * 1024 * 1024  # never the whole line (nor the object) in memory


def test_an_over_long_last_line_and_one_within_a_chunk_are_refused() -> None:
    records = _records(gzip.compress(b"a" * 3000 + b"\nok\n" + b"b" * 2000), max_line_bytes=1024)
    assert [(n, r.reason) for n, r in records if isinstance(r, LineReject)] == [
        (1, Reason.LINE_TOO_LONG),
        (3, Reason.LINE_TOO_LONG),
    ]
    assert _lines(records) == [b"ok"]


def test_an_object_past_its_size_bounds_loads_its_head_and_refuses_the_rest() -> None:
    by_lines = _records(gzip.compress(BODY), max_object_lines=1000)
    assert _lines(by_lines) == LINES  # within the bound
    many = b"\n".join(b"line %d" % i for i in range(1, 3001)) + b"\n"
    capped = _records(gzip.compress(many), max_object_lines=1000)
    assert len(_lines(capped)) == 1000
    (tail,) = _refused(capped)
    assert (tail.line_no, tail.reason, tail.raw) == (1001, Reason.OBJECT_TOO_LARGE, b"line 1001")
    bomb = gzip.compress(b"z" * 100 + b"\n" + os.urandom(16).hex().encode() * 200_000)
    by_bytes = _records(bomb, max_object_bytes=1 << 20)
    assert _lines(by_bytes) == [b"z" * 100]
    assert [r.reason for r in _refused(by_bytes)] == [Reason.OBJECT_TOO_LARGE]


def test_batches_carry_the_lines_refused_since_the_previous_batch() -> None:
    data = gzip.compress(b"a\n" + b"x" * 2000 + b"\nb\nc\n" + b"y" * 2000 + b"\n")
    records = iter_records(io.BytesIO(data), ReadLimits(max_line_bytes=1024))
    batches = list(iter_batches(records, batch_size=2))
    assert [[n for n, _ in lines] for lines, _ in batches] == [[1, 3], [4]]
    assert [[r.line_no for r in refused] for _, refused in batches] == [[2], [5]]
