"""Read one object as a stream of lines: MinIO response -> gzip -> lines -> batches.

Nothing holds a whole object in memory: the HTTP body is decompressed as it arrives and
lines are handed out in batches of ``batch_size``. A broken object raises
:class:`PoisonObjectError` (quarantined by the caller); a failing connection raises
:class:`SourceError` (the task fails and Airflow retries).
"""

from __future__ import annotations

import gzip
import io
import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from socialpulse.ingestion.reasons import Reason

log = logging.getLogger(__name__)

_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")  # UTF-16/32 byte order marks
_READ_CHUNK = 1 << 20


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


@contextmanager
def open_object(client: Any, bucket: str, key: str) -> Iterator[Any]:
    """The object's HTTP body (a file-like stream), closed and released afterwards."""
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


def iter_lines(stream: Any) -> Iterator[bytes]:
    """Lines (without the newline) of a gzip stream; trailing blank lines are dropped."""
    gz = gzip.GzipFile(fileobj=stream, mode="rb")
    reader = io.BufferedReader(gz, buffer_size=_READ_CHUNK)
    pending_blank = 0
    try:
        for raw in reader:
            line = raw.rstrip(b"\r\n")
            if not line:
                pending_blank += 1  # blank lines count only if something follows them
                continue
            for _ in range(pending_blank):
                yield b""
            pending_blank = 0
            yield line
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise PoisonObjectError(Reason.NOT_GZIP, f"not a complete gzip stream: {exc}") from exc
    except OSError as exc:  # urllib3 ProtocolError and friends surface as OSError subclasses
        raise SourceError(f"reading the object failed mid-stream: {exc}") from exc


def check_first_line(line: bytes) -> None:
    """An object whose first line is not UTF-8 (e.g. UTF-16) is rejected as a whole."""
    if line.startswith(_BOMS):
        raise PoisonObjectError(Reason.NOT_UTF8, "starts with a UTF-16/32 byte order mark")
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PoisonObjectError(Reason.NOT_UTF8, f"first line is not UTF-8: {exc}") from exc


def iter_batches(lines: Iterator[bytes], batch_size: int) -> Iterator[list[tuple[int, bytes]]]:
    """``(line_no, line)`` pairs (1-based) in lists of at most ``batch_size``.

    Raises ``PoisonObjectError(EMPTY_FILE)`` when the object has no lines at all.
    """
    batch: list[tuple[int, bytes]] = []
    line_no = 0
    for line_no, line in enumerate(lines, start=1):
        if line_no == 1:
            check_first_line(line)
        batch.append((line_no, line))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
    if line_no == 0:
        raise PoisonObjectError(Reason.EMPTY_FILE, "the object has no lines")
