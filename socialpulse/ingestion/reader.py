"""Read one object as a stream of lines: MinIO response -> gzip -> lines -> batches.

Nothing holds a whole object in memory: the HTTP body is decompressed as it arrives (at
most a few MiB of output per step, so a gzip bomb costs time, never memory) and lines are
handed out in batches of ``batch_size``. What one line or object may cost is bounded here,
before any parsing (:class:`ReadLimits`):

* a line longer than ``max_line_bytes`` is refused as ``line_too_long`` while it streams
  past (only its first :data:`KEPT_BYTES` are kept, for the quarantine row);
* a stream that breaks off after its start (cut short: ``truncated_gzip``; invalid data,
  CRC mismatch, trailing garbage: ``corrupt_gzip``) or goes past ``max_object_bytes`` /
  ``max_object_lines`` (``object_too_large``) ends with one *tail* row: the complete lines
  before it load, the rest of the object is quarantined as that one row;
* an object that does not start as gzip (``not_gzip``), whose first line is not UTF-8
  (``not_utf8``) or that vanished (``unreadable_object``) raises
  :class:`PoisonObjectError`: the whole object is quarantined.

A leading UTF-8 byte order mark is skipped; ``\\r\\n`` line ends are accepted; empty lines
are not records (they hold nothing and are skipped, but keep their line numbers). A
failing connection raises :class:`SourceError` (the task fails and Airflow retries).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from socialpulse.ingestion.limits import ReadLimits
from socialpulse.ingestion.reasons import Reason

log = logging.getLogger(__name__)

UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")  # UTF-16/32 byte order marks
_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 1 << 18  # compressed bytes per read from the HTTP body
_OUT_CHUNK = 1 << 22  # decompressed bytes per step at most
#: Bytes kept of a refused line or an object's tail, for its quarantine row.
KEPT_BYTES = 16 << 10


class PoisonObjectError(Exception):
    """The object can never be loaded as it is (not gzip, not UTF-8, empty, vanished)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class SourceError(RuntimeError):
    """MinIO could not be reached or failed mid-read; retrying later may succeed."""


@dataclass(frozen=True)
class ObjectRef:
    """One version of one object, as listed: the unit of exactly-once loading."""

    key: str
    etag: str
    size: int


@dataclass(frozen=True, slots=True)
class LineReject:
    """A line refused while reading, or the unreadable tail of an object."""

    line_no: int
    raw: bytes  # at most KEPT_BYTES of it
    reason: Reason
    detail: str


@contextmanager
def open_object(client: Any, bucket: str, key: str) -> Iterator[Any]:
    """The object's HTTP body (a file-like stream, ``.headers`` too), closed afterwards."""
    from minio.error import S3Error

    try:
        resp = client.get_object(bucket, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchObject"):
            raise PoisonObjectError(Reason.UNREADABLE_OBJECT, f"{exc.code}: {exc.message}") from exc
        raise SourceError(f"cannot read s3://{bucket}/{key}: {exc}") from exc
    except Exception as exc:  # urllib3/socket errors: the store is unreachable
        raise SourceError(f"cannot read s3://{bucket}/{key}: {exc}") from exc
    try:
        yield resp
    finally:
        resp.close()
        resp.release_conn()


class _StreamBrokenError(Exception):
    """The gzip stream cannot be read past this point (becomes the object's tail row)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _read(stream: Any, size: int) -> bytes:
    try:
        return bytes(stream.read(size))
    except Exception as exc:  # urllib3 ProtocolError, IncompleteRead, socket errors
        raise SourceError(f"reading the object failed mid-stream: {exc}") from exc


def _decompressed(stream: Any, max_bytes: int) -> Iterator[bytes]:
    """Decompressed chunks of a gzip stream (several members are one stream).

    Raises :class:`PoisonObjectError` (``not_gzip``) when the object does not start as gzip,
    :class:`_StreamBrokenError` when it breaks off later. A network failure is a
    :class:`SourceError` (urllib3 checks the body against its Content-Length), never a
    truncation. Zero bytes after a member are padding (as for ``gzip``).
    """
    pending = _read(stream, _READ_CHUNK)
    while 0 < len(pending) < 2:
        more = _read(stream, _READ_CHUNK)
        if not more:
            break
        pending += more
    if not pending:
        return  # a zero-byte object: no lines
    if not pending.startswith(_GZIP_MAGIC):
        raise PoisonObjectError(Reason.NOT_GZIP, "does not start with the gzip magic bytes 1f 8b")
    inflater = zlib.decompressobj(31)
    produced = 0
    while True:
        if not pending:
            pending = _read(stream, _READ_CHUNK)
            if not pending:
                break
        try:
            out = inflater.decompress(pending, _OUT_CHUNK)
        except zlib.error as exc:
            raise _StreamBrokenError(
                Reason.CORRUPT_GZIP, f"invalid gzip data after {produced:,} bytes: {exc}"
            ) from exc
        pending = inflater.unconsumed_tail
        if out:
            if produced + len(out) > max_bytes:
                yield out[: max_bytes - produced]
                raise _StreamBrokenError(
                    Reason.OBJECT_TOO_LARGE,
                    f"more than INGEST_MAX_OBJECT_BYTES={max_bytes:,} bytes decompressed; "
                    "the rest of the object is not read",
                )
            produced += len(out)
            yield out
        if inflater.eof:
            rest = inflater.unused_data.lstrip(b"\0")
            while len(rest) < 2:
                more = _read(stream, _READ_CHUNK)
                if not more:
                    break
                rest = (rest + more).lstrip(b"\0")
            if not rest:
                return
            if not rest.startswith(_GZIP_MAGIC):
                raise _StreamBrokenError(
                    Reason.CORRUPT_GZIP,
                    f"{len(rest)}+ bytes that are not gzip follow the gzip stream "
                    f"(after {produced:,} bytes)",
                )
            inflater = zlib.decompressobj(31)  # the next member
            pending = rest
    out = inflater.flush()
    if out:
        produced += len(out)
        yield out
    if not inflater.eof:
        raise _StreamBrokenError(
            Reason.TRUNCATED_GZIP,
            f"the gzip stream ends without its end marker after {produced:,} bytes; "
            "the rest of the object is missing",
        )


def iter_records(stream: Any, limits: ReadLimits | None = None) -> Iterator[tuple[int, Any]]:
    """``(line_no, line)`` for every record of a gzip stream, in order; a refused line or
    the object's tail comes as ``(line_no, LineReject)``. ``line_no`` is the physical
    line number (1-based); lines carry no line end; empty lines are skipped."""
    limits = limits or ReadLimits()
    max_line = limits.max_line_bytes
    line_no = 0
    records = 0
    carry = b""
    skipped = 0  # > 0 while an over-long line streams past: its bytes so far
    kept = b""  # its first KEPT_BYTES
    first = True

    def too_long(size: int, head: bytes) -> LineReject:
        return LineReject(line_no, head[:KEPT_BYTES], Reason.LINE_TOO_LONG,
                          f"line of {size:,} bytes (INGEST_MAX_LINE_BYTES={max_line:,}); "
                          f"its first {min(size, KEPT_BYTES):,} bytes are kept")  # fmt: skip

    try:
        for chunk in _decompressed(stream, limits.max_object_bytes):
            if skipped:
                end = chunk.find(b"\n")
                if end < 0:
                    skipped += len(chunk)
                    continue
                line_no += 1
                records += 1
                yield line_no, too_long(skipped + end, kept)
                skipped, kept = 0, b""
                chunk = chunk[end + 1 :]
            parts = (carry + chunk).split(b"\n") if carry else chunk.split(b"\n")
            carry = parts.pop()
            for line in parts:
                line_no += 1
                if line[-1:] == b"\r":
                    line = line[:-1]
                if first:
                    first = False
                    line = _first_line(line)
                if not line:
                    continue
                if records >= limits.max_object_lines:
                    yield line_no, _too_many_lines(line_no, line, limits)
                    return
                records += 1
                yield line_no, (line if len(line) <= max_line else too_long(len(line), line))
            if len(carry) > max_line:
                skipped, kept, carry = len(carry), carry[:KEPT_BYTES], b""
    except _StreamBrokenError as broken:
        # The partial line at the break (or the over-long line being skipped) is the tail.
        head = kept or carry
        yield line_no + 1, LineReject(line_no + 1, head[:KEPT_BYTES], broken.reason, broken.detail)
        return
    if skipped:
        line_no += 1
        yield line_no, too_long(skipped, kept)
    elif carry:  # a last line without a line end
        line_no += 1
        line = carry[:-1] if carry[-1:] == b"\r" else carry
        if first:
            line = _first_line(line)
        if line:
            if records >= limits.max_object_lines:
                yield line_no, _too_many_lines(line_no, line, limits)
            else:
                yield line_no, line


def iter_lines(stream: Any, limits: ReadLimits | None = None) -> Iterator[bytes]:
    """Just the lines of a gzip stream that are records (refused lines and a tail left out)."""
    return (line for _, line in iter_records(stream, limits) if type(line) is bytes)


def _too_many_lines(line_no: int, line: bytes, limits: ReadLimits) -> LineReject:
    return LineReject(
        line_no,
        line[:KEPT_BYTES],
        Reason.OBJECT_TOO_LARGE,
        f"more than INGEST_MAX_OBJECT_LINES={limits.max_object_lines:,} lines; this line and "
        "the rest of the object are not read",
    )


def _first_line(line: bytes) -> bytes:
    """The first line without a UTF-8 BOM; an object in another encoding is refused whole."""
    if line.startswith(UTF8_BOM):
        return line[len(UTF8_BOM) :]
    if line.startswith(_OTHER_BOMS):
        raise PoisonObjectError(Reason.NOT_UTF8, "starts with a UTF-16/32 byte order mark")
    try:
        line[:KEPT_BYTES].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < min(len(line), KEPT_BYTES) - 3:  # not just a character cut in two
            raise PoisonObjectError(Reason.NOT_UTF8, f"first line is not UTF-8: {exc}") from exc
    return line


def iter_batches(
    lines: Iterator[tuple[int, Any]], batch_size: int
) -> Iterator[tuple[list[tuple[int, bytes]], list[LineReject]]]:
    """``(lines, refused)`` per batch: at most ``batch_size`` ``(line_no, line)`` pairs and
    the lines refused (or the tail) since the previous batch."""
    batch: list[tuple[int, bytes]] = []
    refused: list[LineReject] = []
    for line_no, line in lines:
        if type(line) is bytes:
            batch.append((line_no, line))
            if len(batch) >= batch_size:
                yield batch, refused
                batch, refused = [], []
        else:
            refused.append(line)
    if batch or refused:
        yield batch, refused
