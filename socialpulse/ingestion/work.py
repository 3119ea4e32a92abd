"""Run-scoped work area in MinIO: the artefacts the stage tasks hand to each other.

Layout (in the source bucket, beside the event files, never under the event prefix)::

    _work/<run>/<stage>/<object id>.<part>.arrow   record batches (Arrow IPC stream, lz4)
    _work/<run>/<stage>/<object id>.json           the object's stage result (written last)

``<object id>`` is derived from key + ETag, so a stage re-run finds its own earlier output:
the JSON result is the commit marker, written only after every artefact of the object is
uploaded, and a stage that finds it reuses it instead of doing the work again.

Artefacts are streamed: record batches go to a local temporary file as they are produced
and the file is uploaded when complete (memory holds one batch, never an object). Readers
stream the HTTP body through the Arrow IPC reader, one batch at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate, chain
from typing import Any

import pyarrow as pa

from socialpulse.ingestion.reader import SourceError

log = logging.getLogger(__name__)

_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")
_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


# --- Arrow columns from Python lists -------------------------------------------------------
# Built straight from buffers: ``pa.array()`` on a Python list imports pandas on first use
# (~1.5 s and ~60 MB per process, paid by every stage task and worker) and is not faster.
# Columns are never null: absent values use a sentinel (0, "" or an empty list).


def int32s(values: Iterable[int]) -> pa.Array:
    buf = array("i", values)
    return pa.Array.from_buffers(pa.int32(), len(buf), [None, pa.py_buffer(buf)])


def binaries(values: Sequence[bytes], kind: pa.DataType | None = None) -> pa.Array:
    """A ``binary`` (or, with ``kind=pa.string()``, UTF-8 ``string``) column."""
    offsets = array("i", accumulate(map(len, values), initial=0))
    data = pa.py_buffer(b"".join(values))
    return pa.Array.from_buffers(
        kind or pa.binary(), len(values), [None, pa.py_buffer(offsets), data]
    )


def strings(values: Sequence[str]) -> pa.Array:
    return binaries([v.encode() for v in values], pa.string())


def uuids(values: Sequence[bytes]) -> pa.Array:
    """A ``binary(16)`` column of UUID bytes."""
    return pa.Array.from_buffers(pa.binary(16), len(values), [None, pa.py_buffer(b"".join(values))])


def lists(child: pa.Array, lengths: Iterable[int]) -> pa.Array:
    """A list column: consecutive runs of ``child`` of the given lengths."""
    offsets = array("i", accumulate(lengths, initial=0))
    return pa.Array.from_buffers(
        pa.list_(child.type), len(offsets) - 1, [None, pa.py_buffer(offsets)], children=[child]
    )


def int32_lists(values: Sequence[Sequence[int]]) -> pa.Array:
    return lists(int32s(chain.from_iterable(values)), map(len, values))


def object_id(key: str, etag: str) -> str:
    """A short, stable, path-safe id of one object version."""
    return hashlib.sha1(f"{key}\0{etag}".encode(), usedforsecurity=False).hexdigest()[:20]


def run_dir(run_id: str) -> str:
    """The path-safe folder name of a run (Airflow run ids contain ``:`` and ``+``)."""
    safe = _UNSAFE.sub("_", run_id).strip("_") or "run"
    return f"{safe[:80]}-{hashlib.sha1(run_id.encode(), usedforsecurity=False).hexdigest()[:8]}"


@dataclass(frozen=True)
class WorkArea:
    """One run's folder of artefacts (``bucket/prefix<run>/``)."""

    client: Any
    bucket: str
    prefix: str  # e.g. "_work/"
    run_id: str

    @property
    def root(self) -> str:
        return f"{self.prefix}{run_dir(self.run_id)}/"

    def key(self, stage: str, oid: str, part: str) -> str:
        return f"{self.root}{stage}/{oid}.{part}"

    # --- stage results (the commit markers) -------------------------------------------

    def put_result(self, stage: str, oid: str, result: dict[str, Any]) -> None:
        body = json.dumps(result, separators=(",", ":")).encode()
        self._put_bytes(self.key(stage, oid, "json"), body)

    def get_result(self, stage: str, oid: str) -> dict[str, Any] | None:
        """The object's result of ``stage`` if that stage finished it, else None."""
        from minio.error import S3Error

        try:
            resp = self.client.get_object(self.bucket, self.key(stage, oid, "json"))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise SourceError(f"cannot read the work area: {exc}") from exc
        try:
            return dict(json.loads(resp.read()))
        finally:
            resp.close()
            resp.release_conn()

    # --- record batch artefacts -------------------------------------------------------

    @contextmanager
    def writer(self, stage: str, oid: str, part: str, schema: pa.Schema) -> Iterator[Any]:
        """An Arrow IPC stream writer; the artefact is uploaded when the block ends cleanly."""
        with tempfile.TemporaryFile(prefix="ingest-") as tmp:
            sink = pa.PythonFile(tmp, mode="w")
            with pa.ipc.new_stream(sink, schema, options=_IPC_OPTIONS) as out:
                yield out
            size = tmp.tell()
            tmp.seek(0)
            self._put_stream(self.key(stage, oid, f"{part}.arrow"), tmp, size)

    @contextmanager
    def reader(self, stage: str, oid: str, part: str) -> Iterator[Iterator[pa.RecordBatch]]:
        """The artefact's record batches, streamed from MinIO."""
        key = self.key(stage, oid, f"{part}.arrow")
        try:
            resp = self.client.get_object(self.bucket, key)
        except Exception as exc:
            raise SourceError(f"cannot read artefact s3://{self.bucket}/{key}: {exc}") from exc
        try:
            yield iter(pa.ipc.open_stream(pa.PythonFile(resp, mode="r")))
        finally:
            resp.close()
            resp.release_conn()

    def _put_bytes(self, key: str, body: bytes) -> None:
        import io

        self._put_stream(key, io.BytesIO(body), len(body))

    def _put_stream(self, key: str, data: Any, size: int) -> None:
        try:
            self.client.put_object(self.bucket, key, data, size)
        except Exception as exc:
            raise SourceError(f"cannot write artefact s3://{self.bucket}/{key}: {exc}") from exc

    # --- clean-up ---------------------------------------------------------------------

    def remove(self) -> int:
        """Delete this run's artefacts; returns how many objects were deleted."""
        return _remove_prefix(self.client, self.bucket, self.root)


def _remove_prefix(client: Any, bucket: str, prefix: str) -> int:
    from minio.deleteobjects import DeleteObject

    names = [o.object_name for o in client.list_objects(bucket, prefix=prefix, recursive=True)]
    errors = list(client.remove_objects(bucket, [DeleteObject(n) for n in names]))
    if errors:
        raise SourceError(f"could not delete {len(errors)} artefact(s): {errors[:3]}")
    return len(names)


def remove_stale(client: Any, bucket: str, prefix: str, older_than: timedelta) -> int:
    """Delete every run folder under ``prefix`` whose newest artefact is older than the TTL.

    Runs that crashed or were killed before their clean-up leave their folder behind; the
    next runs sweep it. A folder with a recent artefact (a run still working) is kept.
    """
    cutoff = datetime.now(UTC) - older_than
    newest: dict[str, datetime] = {}
    for o in client.list_objects(bucket, prefix=prefix, recursive=True):
        folder = o.object_name[len(prefix) :].split("/", 1)[0]
        when = o.last_modified or cutoff
        newest[folder] = max(newest.get(folder, when), when)
    removed = 0
    for folder, when in newest.items():
        if when < cutoff:
            removed += _remove_prefix(client, bucket, f"{prefix}{folder}/")
    if removed:
        log.info("removed %d stale artefact(s) under s3://%s/%s", removed, bucket, prefix)
    return removed
