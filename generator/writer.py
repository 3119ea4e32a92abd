"""Object layout, serialisation and upload: one gzip JSON Lines object per simulated minute.

Keys (all under an optional prefix)::

    events/YYYY/MM/DD/HH/YYYY-MM-DDTHH:MM:00Z.jsonl.gz          the minute's events
    events/YYYY/MM/DD/HH/YYYY-MM-DDTHH:MM:00Z.late-N.jsonl.gz   an extra object for that minute,
                                                                written later (dirty mode only)
    defects/YYYY/MM/DD/HH/<object name>.json                    what was injected into an object

gzip output is deterministic (mtime 0, no file name), so one seed gives byte-identical objects.
The contracts are imported where they are used: ingestion builds its MinIO client from
:func:`minio_client` and should not pay for the models. Compression and upload run in a thread pool: zlib and socket I/O release the GIL, so they
overlap with generation on a second core. In backfill, contract validation (pure CPU, holding
the GIL) can also move off the generating process: ``ObjectWriter(validate_in=N)`` validates
and compresses each minute in N worker processes before the upload threads send it.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import multiprocessing
import zlib
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import pydantic_core

from socialpulse.settings import Settings

EVENTS_PREFIX = "events/"
DEFECTS_PREFIX = "defects/"
GZIP_LEVEL = 3  # measured: ~1.7x faster than 6 for ~11 % larger objects (docs/generator.md)


def object_key(minute: datetime, late: int | None = None) -> str:
    """The key of the object holding ``minute`` (``late=N`` for its N-th late extra object)."""
    stamp = minute.strftime("%Y-%m-%dT%H:%M:00Z")
    suffix = f".late-{late}" if late else ""
    return f"{EVENTS_PREFIX}{minute:%Y/%m/%d/%H}/{stamp}{suffix}.jsonl.gz"


def defects_key(key: str) -> str:
    """Where the defect manifest of the object ``key`` is written."""
    return DEFECTS_PREFIX + key.removeprefix(EVENTS_PREFIX) + ".json"


def encode(events: Iterable[dict[str, Any]]) -> list[bytes]:
    """Each event as one compact JSON line (no newline); Rust serialiser, insertion order."""
    to_json = pydantic_core.to_json
    return [to_json(event) for event in events]


def join_lines(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def gzip_bytes(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """gzip with a fixed header (mtime 0, no name): same input, same bytes."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def validate_and_gzip(raw: bytes, now: datetime, level: int = GZIP_LEVEL) -> bytes:
    """Validate every line of ``raw`` against the contracts (raises on the first invalid
    batch, like :func:`~socialpulse.contracts.validate_lines`), then gzip it."""
    from socialpulse.contracts import validate_lines

    lines = raw.splitlines()
    if lines:
        validate_lines(lines, now=now)
    return gzip_bytes(raw, level)


def metadata(
    records: int | None, minute: datetime, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """User metadata stored with each object (S3 ``x-amz-meta-*``).

    ``record-count`` is what the producer vouches for: ``0`` marks a quiet minute, which
    ingestion loads as an empty object. ``None`` leaves it out (the dirty ``empty_file``
    object, a producer that wrote nothing and says nothing).
    """
    from socialpulse.contracts import SCHEMA_VERSION

    meta = {
        "schema-version": str(SCHEMA_VERSION),
        "covers-minute": minute.strftime("%Y-%m-%dT%H:%M:00Z"),
    }
    if records is not None:
        meta["record-count"] = str(records)
    meta.update(extra or {})
    return meta


class ObjectExistsError(RuntimeError):
    """An object is already there with other content: the generator never overwrites one."""


class Sink(Protocol):
    """Where objects go: MinIO in production, a directory for quick local runs.

    ``put`` never overwrites: an object that is already there with the same bytes (a minute
    regenerated after a crash, byte-identical by construction) is left alone; with other
    bytes it raises :class:`ObjectExistsError`. Only ``replace=True`` (the owner record of a
    prefix taken over with ``--force``) writes over an object.
    """

    def put(
        self, key: str, data: bytes, meta: dict[str, str], content_type: str,
        replace: bool = False,
    ) -> bool: ...  # fmt: skip

    def get(self, key: str) -> bytes | None: ...

    def keys(self, under: str) -> list[str]: ...

    def describe(self, key: str = "") -> str: ...


def _refuse(where: str) -> ObjectExistsError:
    return ObjectExistsError(
        f"{where} already exists with other content; the generator never overwrites an "
        "object (is another world writing here? see `socialpulse generate --help`)"
    )


class MinioSink:
    """Objects in a MinIO bucket (created if missing), under an optional key prefix."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        if not client.bucket_exists(bucket):
            client.make_bucket(bucket)

    def describe(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def put(
        self, key: str, data: bytes, meta: dict[str, str], content_type: str,
        replace: bool = False,
    ) -> bool:  # fmt: skip
        """Write ``key``; False when the same bytes were there already (see :class:`Sink`)."""
        name = self.prefix + key
        if not replace:
            etag = self._etag(name)
            if etag is not None:
                if etag == hashlib.md5(data, usedforsecurity=False).hexdigest():
                    return False
                if self.get(key) == data:  # a multipart upload's ETag is no plain md5
                    return False
                raise _refuse(self.describe(key))
        self.client.put_object(
            self.bucket, name, io.BytesIO(data), length=len(data), content_type=content_type,
            metadata=meta,
        )  # fmt: skip
        return True

    def _etag(self, name: str) -> str | None:
        from minio.error import S3Error

        try:
            return str(self.client.stat_object(self.bucket, name).etag).strip('"')
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise

    def get(self, key: str) -> bytes | None:
        from minio.error import S3Error

        try:
            resp = self.client.get_object(self.bucket, self.prefix + key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise
        try:
            return bytes(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    def keys(self, under: str) -> list[str]:
        """Keys (relative to the prefix) of every object under ``under``."""
        objs = self.client.list_objects(self.bucket, prefix=self.prefix + under, recursive=True)
        return [o.object_name.removeprefix(self.prefix) for o in objs]


class LocalSink:
    """Objects as files under ``root`` (metadata in a ``.meta.json`` beside each)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self, key: str = "") -> str:
        return str(self.root / key)

    def put(
        self, key: str, data: bytes, meta: dict[str, str], content_type: str,
        replace: bool = False,
    ) -> bool:  # fmt: skip
        path = self.root / key
        if path.exists() and not replace:
            if path.read_bytes() == data:
                return False
            raise _refuse(str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.with_name(path.name + ".meta.json").write_text(json.dumps(meta, sort_keys=True))
        return True

    def get(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.exists() else None

    def keys(self, under: str) -> list[str]:
        base = self.root / under
        return sorted(
            str(p.relative_to(self.root)) for p in base.rglob("*")
            if p.is_file() and not p.name.endswith(".meta.json")
        )  # fmt: skip


def minio_client(settings: Settings) -> Any:
    """A MinIO client for the configured endpoint (plain HTTP on the native stack)."""
    from minio import Minio

    return Minio(
        settings.minio_endpoint,
        access_key=settings.minio_root_user,
        secret_key=settings.minio_root_password.get_secret_value(),
        secure=False,
    )


def minio_sink(settings: Settings, prefix: str = "", bucket: str | None = None) -> MinioSink:
    return MinioSink(minio_client(settings), bucket or settings.minio_bucket, prefix)


class ObjectWriter:
    """Compresses and uploads objects in background threads; ``flush`` surfaces any error.

    ``validate_in=N`` (N >= 1) starts N worker processes; objects submitted with
    ``validate_now`` are then validated against the contracts and compressed there (a
    contract violation surfaces at the next drain/flush, failing the backfill).
    """

    def __init__(self, sink: Sink, workers: int = 4, validate_in: int = 0) -> None:
        self.sink = sink
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="writer")
        self.pending: list[Future[int]] = []
        self.bytes_written = 0
        self.validators: ProcessPoolExecutor | None = None
        if validate_in > 0:
            # Forked now, before any writer thread exists (spawn/forkserver would re-import the
            # caller's __main__). Freezing first keeps the parent's pages shared: the child's
            # GC never walks (and so never copies) what the parent already holds.
            gc.freeze()
            context = multiprocessing.get_context("fork")
            self.validators = ProcessPoolExecutor(max_workers=validate_in, mp_context=context)
            for _ in range(validate_in):
                self.validators.submit(gc.freeze).result()  # start the workers eagerly

    def _put_events(
        self, key: str, raw: bytes, meta: dict[str, str], validate_now: datetime | None = None
    ) -> int:
        if validate_now is not None and self.validators is not None:
            data = self.validators.submit(validate_and_gzip, raw, validate_now).result()
        elif validate_now is not None:
            data = validate_and_gzip(raw, validate_now)
        else:
            data = gzip_bytes(raw)
        self.sink.put(key, data, meta, "application/x-ndjson+gzip")
        return len(data)

    def _put_json(self, key: str, doc: dict[str, Any]) -> int:
        data = json.dumps(doc, indent=1, sort_keys=True).encode()
        self.sink.put(key, data, {}, "application/json")
        return len(data)

    def submit_events(
        self, key: str, raw: bytes, meta: dict[str, str], validate_now: datetime | None = None
    ) -> None:
        """Queue an object; with ``validate_now`` its lines are validated before the upload."""
        self.pending.append(self.pool.submit(self._put_events, key, raw, meta, validate_now))
        if len(self.pending) > 64:  # bound memory: wait for the oldest uploads
            self._drain(32)

    def submit_json(self, key: str, doc: dict[str, Any]) -> None:
        self.pending.append(self.pool.submit(self._put_json, key, doc))

    def _drain(self, keep: int = 0) -> None:
        while len(self.pending) > keep:
            self.bytes_written += self.pending.pop(0).result()

    def flush(self) -> None:
        self._drain()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.pool.shutdown(wait=True)
            if self.validators is not None:
                self.validators.shutdown(wait=True)
