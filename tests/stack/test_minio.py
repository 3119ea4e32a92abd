"""MinIO smoke tests over the real S3 protocol, against the server the stack code starts."""

from __future__ import annotations

import io
import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
from minio import Minio
from minio.commonconfig import CopySource
from minio.error import S3Error

from infra.stack.base import NativeService
from infra.stack.minio import MINIO_VERSION, MinioService
from socialpulse.settings import Settings

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def minio_service(started_service: Callable[[str], NativeService]) -> MinioService:
    svc = started_service("minio")
    assert isinstance(svc, MinioService)
    return svc


@pytest.fixture(scope="module")
def client(minio_service: MinioService) -> Minio:
    return minio_service.client()


@pytest.fixture
def prefix(client: Minio, settings: Settings) -> Iterator[str]:
    """A fresh key prefix for one test; its objects are removed afterwards."""
    pfx = f"tests/{uuid.uuid4().hex}/"
    yield pfx
    for obj in client.list_objects(settings.minio_bucket, prefix=pfx, recursive=True):
        assert obj.object_name is not None
        client.remove_object(settings.minio_bucket, obj.object_name)


def _put(client: Minio, bucket: str, name: str, data: bytes, **kwargs: object) -> None:
    client.put_object(bucket, name, io.BytesIO(data), len(data), **kwargs)  # type: ignore[arg-type]


def _get(client: Minio, bucket: str, name: str) -> bytes:
    response = client.get_object(bucket, name)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def test_service_is_healthy_and_reports_pinned_version(minio_service: MinioService) -> None:
    assert minio_service.health() is True
    assert minio_service.version() == MINIO_VERSION
    s = minio_service.settings
    assert minio_service.url == f"http://{s.minio_host}:{s.minio_port}"


def test_project_bucket_exists(client: Minio, settings: Settings) -> None:
    assert client.bucket_exists(settings.minio_bucket)
    assert settings.minio_bucket in {b.name for b in client.list_buckets()}


def test_put_get_round_trips_binary_and_text(
    client: Minio, settings: Settings, prefix: str
) -> None:
    bucket = settings.minio_bucket
    text = '{"user": "ünïcødé ✓", "likes": 3}\n'.encode()
    blob = bytes(range(256)) * 4096 + b"\x00tail"  # ~1 MiB, every byte value
    _put(client, bucket, f"{prefix}event.json", text, content_type="application/json")
    _put(client, bucket, f"{prefix}blob.bin", blob)

    assert _get(client, bucket, f"{prefix}event.json") == text
    assert _get(client, bucket, f"{prefix}blob.bin") == blob


def test_stat_reports_size_type_and_user_metadata(
    client: Minio, settings: Settings, prefix: str
) -> None:
    bucket = settings.minio_bucket
    data = b"a,b,c\n1,2,3\n"
    _put(
        client,
        bucket,
        f"{prefix}part.csv",
        data,
        content_type="text/csv",
        metadata={"source": "generator", "batch-id": "42"},
    )

    st = client.stat_object(bucket, f"{prefix}part.csv")
    assert st.size == len(data)
    assert st.content_type == "text/csv"
    assert st.metadata is not None
    meta = {k.lower(): v for k, v in st.metadata.items()}
    assert meta["x-amz-meta-source"] == "generator"
    assert meta["x-amz-meta-batch-id"] == "42"

    # A server-side copy keeps the metadata too.
    client.copy_object(bucket, f"{prefix}copy.csv", CopySource(bucket, f"{prefix}part.csv"))
    copied = client.stat_object(bucket, f"{prefix}copy.csv")
    assert copied.size == len(data)
    assert copied.metadata is not None
    assert {k.lower(): v for k, v in copied.metadata.items()}["x-amz-meta-source"] == "generator"


def test_listing_by_prefix(client: Minio, settings: Settings, prefix: str) -> None:
    bucket = settings.minio_bucket
    names = [
        f"{prefix}posts/2024-01-01/a.json",
        f"{prefix}posts/2024-01-01/b.json",
        f"{prefix}posts/2024-01-02/c.json",
        f"{prefix}users/u.json",
    ]
    for i, name in enumerate(names):
        _put(client, bucket, name, b"x" * (i + 1))

    day1 = client.list_objects(bucket, prefix=f"{prefix}posts/2024-01-01/", recursive=True)
    assert sorted(o.object_name or "" for o in day1) == names[:2]

    posts = list(client.list_objects(bucket, prefix=f"{prefix}posts/", recursive=True))
    assert sorted(o.object_name or "" for o in posts) == names[:3]
    assert {o.object_name: o.size for o in posts} == {names[0]: 1, names[1]: 2, names[2]: 3}

    # Non-recursive listing groups keys by "/" into common prefixes.
    top = list(client.list_objects(bucket, prefix=prefix))
    assert sorted(o.object_name or "" for o in top) == [f"{prefix}posts/", f"{prefix}users/"]
    assert all(o.is_dir for o in top)

    assert list(client.list_objects(bucket, prefix=f"{prefix}nothing/", recursive=True)) == []


def test_missing_object_is_an_s3_error(client: Minio, settings: Settings, prefix: str) -> None:
    with pytest.raises(S3Error) as excinfo:
        client.stat_object(settings.minio_bucket, f"{prefix}does-not-exist")
    assert excinfo.value.code in {"NoSuchKey", "NoSuchObject"}


def test_second_start_is_a_no_op(minio_service: MinioService) -> None:
    pid_before = minio_service.pid()
    assert pid_before is not None
    minio_service.start()
    assert minio_service.pid() == pid_before
    assert minio_service.health() is True
    minio_service.ensure_bucket()  # idempotent as well
    assert minio_service.client().bucket_exists(minio_service.settings.minio_bucket)


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_health_is_false_on_an_unused_port(settings: Settings) -> None:
    port = _unused_port()
    other = MinioService(settings.model_copy(update={"minio_port": port}))
    assert other.url.endswith(f":{port}")
    assert other.health() is False
