"""The generator against a real MinIO: keys, contents, determinism, shape, dirty manifests."""

from __future__ import annotations

import gzip
import json
import re
import statistics
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from generator import runner, simulation, state
from generator.dirty import CONTRACT_INVALID, UNKNOWN_USER_BASE, DefectClass
from generator.writer import MinioSink, ObjectWriter, minio_client
from socialpulse.contracts import EVENT_TYPES, validate_line
from socialpulse.settings import Settings

pytestmark = pytest.mark.stack

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
NOW = datetime(2098, 1, 1, tzinfo=UTC)
KEY_RE = re.compile(
    r"^events/(\d{4})/(\d{2})/(\d{2})/(\d{2})/(\1-\2-\3T\4:\d{2}:00Z)(\.late-\d+)?\.jsonl\.gz$"
)


class Bucket:
    """One test run's view of the bucket: everything lives under a unique prefix."""

    def __init__(self, settings: Settings) -> None:
        self.client = minio_client(settings)
        self.bucket = settings.minio_bucket
        self.root = f"test-generator-{uuid.uuid4().hex[:10]}/"

    def sink(self, name: str) -> MinioSink:
        return MinioSink(self.client, self.bucket, f"{self.root}{name}/")

    def keys(self, name: str, under: str = "events/") -> list[str]:
        prefix = f"{self.root}{name}/"
        objs = self.client.list_objects(self.bucket, prefix=prefix + under, recursive=True)
        return sorted(o.object_name.removeprefix(prefix) for o in objs)

    def get(self, name: str, key: str) -> bytes:
        resp = self.client.get_object(self.bucket, f"{self.root}{name}/{key}")
        try:
            return bytes(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    def stat(self, name: str, key: str) -> Any:
        return self.client.stat_object(self.bucket, f"{self.root}{name}/{key}")

    def cleanup(self) -> None:
        from minio.deleteobjects import DeleteObject

        objs = self.client.list_objects(self.bucket, prefix=self.root, recursive=True)
        errors = self.client.remove_objects(
            self.bucket, [DeleteObject(o.object_name) for o in objs]
        )
        assert not list(errors)


@pytest.fixture(scope="module")
def bucket(started_service: Callable[[str], Any], settings: Settings) -> Iterator[Bucket]:
    started_service("minio")
    b = Bucket(settings)
    yield b
    b.cleanup()


def _backfill(
    b: Bucket, name: str, *, seed: int, users: int, minutes: int, dirty: float = 0.0
) -> runner.Stats:
    gen = state.new_state(simulation.create_world(seed, START, users))
    writer = ObjectWriter(b.sink(name))
    try:
        return runner.backfill(gen, writer, minutes, dirty_rate=dirty)
    finally:
        writer.close()


@pytest.fixture(scope="module")
def day(bucket: Bucket) -> dict[str, Any]:
    """25 simulated hours of a 400-user world (one day, plus story expiry), read back."""
    minutes = 25 * 60
    stats = _backfill(bucket, "day", seed=12, users=400, minutes=minutes)
    keys = bucket.keys("day")
    events: list[Any] = []
    per_key: dict[str, int] = {}
    for key in keys:
        raw = gzip.decompress(bucket.get("day", key))
        lines = raw.splitlines()
        per_key[key] = len(lines)
        events.extend(validate_line(line, now=NOW) for line in lines)
    return {"stats": stats, "keys": keys, "events": events, "per_key": per_key, "minutes": minutes}


def test_one_object_per_minute_with_the_documented_key(day: dict[str, Any]) -> None:
    keys = day["keys"]
    assert len(keys) == day["minutes"]
    expected = [
        (START + timedelta(minutes=i)).strftime("events/%Y/%m/%d/%H/%Y-%m-%dT%H:%M:00Z.jsonl.gz")
        for i in range(day["minutes"])
    ]
    assert keys == expected
    assert all(KEY_RE.match(k) for k in keys)


def test_every_line_validates_and_lies_in_its_minute(day: dict[str, Any], bucket: Bucket) -> None:
    events = day["events"]
    assert len(events) == day["stats"].events
    position = 0
    for key in day["keys"][:120]:
        minute = datetime.strptime(key.rsplit("/", 1)[1][:20], "%Y-%m-%dT%H:%M:00Z").replace(
            tzinfo=UTC
        )
        chunk = events[position : position + day["per_key"][key]]
        position += len(chunk)
        assert all(minute <= e.occurred_at < minute + timedelta(minutes=1) for e in chunk)
        assert [e.occurred_at for e in chunk] == sorted(e.occurred_at for e in chunk)


def test_object_metadata_carries_count_and_schema_version(
    day: dict[str, Any], bucket: Bucket
) -> None:
    key = day["keys"][600]
    meta = {k.lower(): v for k, v in bucket.stat("day", key).metadata.items()}
    assert meta["x-amz-meta-record-count"] == str(day["per_key"][key])
    assert meta["x-amz-meta-schema-version"] == "1"


def test_every_event_type_appears_in_a_simulated_day(day: dict[str, Any]) -> None:
    seen = Counter(e.event_type for e in day["events"])
    assert set(EVENT_TYPES) - set(seen) == set()


def test_degrees_are_heavy_tailed(day: dict[str, Any]) -> None:
    followers: Counter[int] = Counter()
    for e in day["events"]:
        if e.event_type == "follow_started":
            followers[e.payload.followee_id] += 1
        elif e.event_type == "follow_ended":
            followers[e.payload.followee_id] -= 1
    degrees = sorted(followers.values(), reverse=True)
    mean = statistics.fmean(degrees)
    assert degrees[0] > 8 * mean
    top = sum(degrees[: max(1, len(degrees) // 20)])
    assert top > 0.25 * sum(degrees)  # the top 5 % of users hold over a quarter of followers


def test_daily_rhythm_is_visible(day: dict[str, Any]) -> None:
    per_hour = Counter(
        e.occurred_at.hour for e in day["events"] if e.occurred_at < START + timedelta(days=1)
    )
    evening = sum(per_hour[h] for h in (18, 19, 20, 21))
    night = sum(per_hour[h] for h in (2, 3, 4, 5))
    assert evening > 3 * night


def test_ctr_is_plausible(day: dict[str, Any]) -> None:
    kinds = Counter(e.event_type for e in day["events"])
    ctr = kinds["ad_clicked"] / kinds["ad_impression_served"]
    assert 0.005 <= ctr <= 0.03


def test_few_posts_go_viral(day: dict[str, Any]) -> None:
    views = Counter(e.payload.post_id for e in day["events"] if e.event_type == "post_viewed")
    posts = sum(1 for e in day["events"] if e.event_type == "post_created")
    assert max(views.values()) >= 1000
    assert sum(1 for v in views.values() if v >= 1000) < 0.1 * posts


def test_same_seed_gives_byte_identical_objects(bucket: Bucket) -> None:
    _backfill(bucket, "a", seed=21, users=150, minutes=45)
    _backfill(bucket, "b", seed=21, users=150, minutes=45)
    keys = bucket.keys("a")
    assert keys == bucket.keys("b")
    assert len(keys) == 45
    for key in keys:
        assert bucket.get("a", key) == bucket.get("b", key)


def _decode(blob: bytes) -> list[bytes]:
    raw = gzip.decompress(blob)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-16").encode().splitlines()
    return raw.splitlines()


def _valid(line: bytes) -> bool:
    try:
        validate_line(line, now=NOW)
    except ValidationError:
        return False
    return True


def test_dirty_manifest_matches_what_was_written(bucket: Bucket) -> None:
    stats = _backfill(bucket, "dirty", seed=31, users=200, minutes=90, dirty=0.05)
    manifests = {
        json.loads(bucket.get("dirty", k))["object_key"]: json.loads(bucket.get("dirty", k))[
            "defects"
        ]
        for k in bucket.keys("dirty", under="defects/")
    }
    keys = bucket.keys("dirty")
    assert all(KEY_RE.match(k) for k in keys)
    assert sum(stats.defects.values()) == sum(len(v) for v in manifests.values())
    seen_ids: dict[str, bytes] = {}
    found: Counter[str] = Counter()
    for key in keys:  # key order = delivery order per minute; late objects sort after their minute
        blob = bucket.get("dirty", key)
        listed = {d["line"]: d for d in manifests.get(key, [])}
        file_level = listed.pop(None, None)
        raw = gzip.decompress(blob)
        if file_level is not None and file_level["defect"] == DefectClass.EMPTY_FILE:
            assert raw == b""
        if file_level is not None and file_level["defect"] == DefectClass.NOT_UTF8:
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        for number, line in enumerate(_decode(blob), start=1):
            defect = listed.pop(number, None)
            if defect is None:
                assert _valid(line), (key, number)
                seen_ids.setdefault(json.loads(line)["event_id"], line)
                continue
            cls = DefectClass(defect["defect"])
            found[cls] += 1
            if cls in CONTRACT_INVALID:
                assert not _valid(line), (key, number, cls)
            elif cls is DefectClass.DUPLICATE_LINE:
                assert (
                    seen_ids.get(defect["event_id"]) == line
                    or line in seen_ids.values()
                    or "late" in key
                )
            elif cls is DefectClass.CONFLICTING_DUPLICATE:
                assert _valid(line)
                assert seen_ids[defect["event_id"]] != line
            elif cls is DefectClass.UNKNOWN_REFERENCE:
                event = validate_line(line, now=NOW)
                assert max(event.user_ids()) >= UNKNOWN_USER_BASE
            elif cls in (DefectClass.LATE_FILE, DefectClass.NOT_UTF8):
                assert ".late-" in key
                assert _valid(line)
                assert json.loads(line)["event_id"] == defect["event_id"]
        assert listed == {}, f"manifest lists lines that {key} does not have"
    assert {DefectClass.MALFORMED_JSON, DefectClass.WRONG_TYPE, DefectClass.LATE_FILE} <= set(found)
