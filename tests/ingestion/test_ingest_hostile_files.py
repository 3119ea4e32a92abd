"""Hostile files through the real scheduler: nothing stalls, nothing valid is lost.

A generated world plus one object per hostile case go under a prefix of their own; the
test stack's Airflow standalone runs ``ingest_events`` for that prefix (triggered through
the REST API with ``{"prefix": ...}``), then again after re-uploads, then once idle. Every
expected count below is derived from the bytes the test wrote (for a cut gzip stream, from
what zlib itself can decompress), never taken from a run.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from airflow_helpers import scheduler_kept_off
from ingest_world import World

from socialpulse.airflow_api import AirflowApi
from socialpulse.ingestion.discover import list_objects
from socialpulse.ingestion.reader import iter_lines, open_object
from socialpulse.ingestion.reasons import Reason
from socialpulse.ingestion.tasks import RAW_EVENTS_ASSET
from socialpulse.settings import Settings

pytestmark = [pytest.mark.stack, pytest.mark.slow]

DAG_ID = "ingest_events"
STAGES = ("read", "validate", "clean", "load", "publish")
BOM = b"\xef\xbb\xbf"
#: Lines in one run from which validation used to start the process pool that died under
#: the scheduler (validation now stays in-process; see docs/ingestion.md).
BACKLOG = 50_000


@dataclass
class Expected:
    """What the manifest (and quarantine) must say about one object version."""

    status: str = "loaded"
    loaded: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    duplicate: int = 0
    reason: str | None = None  # the whole object's (quarantined) or its tail's (loaded)

    @property
    def read(self) -> int:
        return self.loaded + sum(self.rejected.values()) + self.duplicate


class Corpus:
    """Writes hostile objects beside a world and remembers what each must become."""

    def __init__(self, minio: Any, world: World) -> None:
        self.minio, self.world = minio, world
        self.expected: dict[str, Expected] = {}
        self.new_event_ids: set[str] = set()
        objs = list_objects(minio, world.bucket, world.prefix)
        self.world_keys = [o.key for o in objs]
        self.world_lines = {k: self.lines(k) for k in self.world_keys}
        # Events to clone: their users registered in earlier minutes of the world.
        self.templates = [
            line
            for k in self.world_keys[len(self.world_keys) // 2 :]
            for line in self.world_lines[k]
            if json.loads(line)["event_type"] != "user_registered"
        ]
        self._next = 0

    def lines(self, key: str) -> list[bytes]:
        with open_object(self.minio, self.world.bucket, key) as stream:
            return list(iter_lines(stream))

    def clone(self) -> bytes:
        """A valid event no object has delivered yet."""
        doc = json.loads(self.templates[self._next % len(self.templates)])
        self._next += 1
        doc["event_id"] = str(uuid.uuid4())
        self.new_event_ids.add(doc["event_id"])
        return json.dumps(doc, separators=(",", ":")).encode()

    def clones(self, n: int) -> list[bytes]:
        return [self.clone() for _ in range(n)]

    def put(
        self, name: str, body: bytes, expected: Expected, meta: dict[str, str] | None = None
    ) -> str:
        key = self.world.prefix + name
        self.minio.put_object(self.world.bucket, key, io.BytesIO(body), len(body), metadata=meta)
        self.expected[key] = expected
        return key


def _gz(lines: list[bytes], sep: bytes = b"\n", level: int = 6) -> bytes:
    return gzip.compress(sep.join(lines) + sep, compresslevel=level)


def _complete_lines_before_cut(cut: bytes) -> int:
    """How many whole lines zlib can decompress from a cut gzip stream."""
    return zlib.decompressobj(31).decompress(cut).count(b"\n")


def _manifest(dsn: str, root: str) -> dict[tuple[str, int], dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """SELECT m.object_key, m.version, m.status, m.reason, m.rows_read, m.rows_loaded,
                      m.rows_rejected, m.rows_duplicate,
                      (SELECT coalesce(jsonb_object_agg(reason, n), '{}') FROM
                         (SELECT q.reason, count(*) AS n FROM raw.quarantine q
                          WHERE q.manifest_id = m.manifest_id AND q.line_no IS NOT NULL
                          GROUP BY q.reason) r)
               FROM raw.ingest_manifest m WHERE m.object_key LIKE %s""",
            (root + "%",),
        ).fetchall()
    names = ("status", "reason", "read", "loaded", "rejected", "duplicate", "by_reason")
    return {(r[0], r[1]): dict(zip(names, r[2:], strict=True)) for r in rows}


def _check(got: dict[str, Any], want: Expected, key: str) -> None:
    assert got["status"] == want.status, key
    assert got["reason"] == want.reason, key
    assert (got["loaded"], got["rejected"], got["duplicate"]) == (
        want.loaded,
        sum(want.rejected.values()),
        want.duplicate,
    ), key
    assert got["read"] == got["loaded"] + got["rejected"] + got["duplicate"] == want.read, key
    assert got["by_reason"] == want.rejected, key


class Scheduler:
    """Runs ``ingest_events`` for one prefix on the test stack's scheduler."""

    def __init__(self, settings: Settings) -> None:
        self.api = AirflowApi(settings, timeout_s=60)
        self.api.wait_for_dag(DAG_ID, timeout_s=300)

    def run(self, prefix: str) -> tuple[str, str]:
        was_paused = self.api.is_paused(DAG_ID)
        self.api.unpause(DAG_ID)  # the scheduler only runs unpaused DAGs' runs
        try:
            run_id = self.api.trigger(DAG_ID, {"prefix": prefix})
            return run_id, self.api.wait_for_run(DAG_ID, run_id, timeout_s=1200)
        finally:
            self.api.set_paused(DAG_ID, was_paused)

    def states(self, run_id: str) -> dict[str, str | None]:
        return self.api.task_states(DAG_ID, run_id)

    def asset_events(self, run_id: str) -> list[str]:
        resp = self.api.client.get(
            "/assets/events", params={"source_dag_id": DAG_ID, "source_run_id": run_id}
        )
        resp.raise_for_status()
        return [e["name"] for e in resp.json()["asset_events"]]


@pytest.fixture(scope="module")
def scheduler(started_service: Callable[[str], Any], settings: Settings) -> Iterator[Scheduler]:
    started_service("airflow")
    # The transform DAG is scheduled on our Asset: keep it from running dbt meanwhile.
    with scheduler_kept_off(settings, "transform"):
        yield Scheduler(settings)


def test_hostile_files_are_quarantined_and_every_valid_event_loads_once(
    scheduler: Scheduler,
    make_world: Callable[..., World],
    warehouse: str,
    minio: Any,
) -> None:
    # A seed of its own: event ids are drawn from the seed, and the test stack's raw tables
    # keep what earlier sessions loaded.
    world = make_world("hostile", minutes=12, users=120, seed=uuid.uuid4().int % 1_000_000)
    corpus = Corpus(minio, world)
    for key in corpus.world_keys:
        corpus.expected[key] = Expected(loaded=len(corpus.world_lines[key]))
    first_world_key, last_world_key = corpus.world_keys[0], corpus.world_keys[-1]

    noise = bytearray(os.urandom(4096))
    noise[0] = 0x00  # never the gzip magic by chance
    corpus.put("zz/random-bytes.jsonl.gz", bytes(noise), Expected("quarantined", reason="not_gzip"))
    corpus.put("zz/plain-text.jsonl.gz", b"some text\n", Expected("quarantined", reason="not_gzip"))
    corpus.put("zz/zero-byte.jsonl.gz", b"", Expected("quarantined", reason="empty_file"))
    corpus.put("README.txt", b"events land here\n", Expected("quarantined", reason="not_gzip"))
    corpus.put(  # the generator's quiet minute: declared empty, loaded as such
        "zz/quiet-minute.jsonl.gz", gzip.compress(b""), Expected(), {"record-count": "0"}
    )
    corpus.put("zz/crlf.jsonl.gz", _gz(corpus.clones(20), b"\r\n"), Expected(loaded=20))
    corpus.put(
        "zz/bom.jsonl.gz", gzip.compress(BOM + b"\n".join(corpus.clones(3))), Expected(loaded=3)
    )
    huge = b'{"note": "' + b"x" * (60 << 20) + b'"}'
    corpus.put(
        "zz/huge-line.jsonl.gz",
        _gz([corpus.clone(), huge, corpus.clone()], level=1),
        Expected(loaded=2, rejected={Reason.LINE_TOO_LONG.value: 1}),
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    corpus.put(
        "zz/deep-nesting.jsonl.gz",
        _gz([deep, corpus.clone()]),
        Expected(loaded=1, rejected={Reason.TOO_DEEPLY_NESTED.value: 1}),
    )
    keys = b"{" + b",".join(b'"k%d":0' % i for i in range(5000)) + b"}"
    corpus.put(
        "zz/many-keys.jsonl.gz",
        _gz([keys, corpus.clone()]),
        Expected(loaded=1, rejected={Reason.TOO_MANY_KEYS.value: 1}),
    )
    copies = 200_000
    corpus.put(
        "zz/copies.jsonl.gz",
        _gz([corpus.clone()] * copies),
        Expected(loaded=1, duplicate=copies - 1),
    )
    first_lines = corpus.world_lines[first_world_key]
    corpus.put("zz/second-key.jsonl.gz", _gz(first_lines), Expected(duplicate=len(first_lines)))
    truncated_lines = corpus.clones(200)
    whole = _gz(truncated_lines, level=1)
    cut = whole[: len(whole) // 2]
    complete = _complete_lines_before_cut(cut)
    assert 0 < complete < 200
    truncated_key = corpus.put(
        "zz/truncated.jsonl.gz",
        cut,
        Expected(loaded=complete, rejected={Reason.TRUNCATED_GZIP.value: 1},
                 reason=Reason.TRUNCATED_GZIP.value),
    )  # fmt: skip

    # Run 1: the world and every hostile object, a backlog of over 200,000 lines.
    run1, state = scheduler.run(world.prefix)
    assert state == "success", scheduler.states(run1)
    assert scheduler.states(run1) == dict.fromkeys(("discover", *STAGES), "success")
    manifest = _manifest(warehouse, world.root)
    assert {k for k, _ in manifest} == set(corpus.expected)
    for key, want in corpus.expected.items():
        _check(manifest[(key, 1)], want, key)
    total = Counter[str]()
    for row in manifest.values():
        total.update({k: row[k] for k in ("read", "loaded", "rejected", "duplicate")})
    assert total["read"] == total["loaded"] + total["rejected"] + total["duplicate"]
    assert total["read"] >= BACKLOG  # the backlog that stopped every run before
    assert scheduler.asset_events(run1) == [RAW_EVENTS_ASSET.name]

    # Run 2: a re-upload with a changed and two new events; the complete truncated object.
    old = corpus.world_lines[last_world_key]
    changed = json.loads(old[0])
    stamp = changed["occurred_at"]
    changed["occurred_at"] = f"{stamp[:-4]}{(int(stamp[-4:-1]) + 1) % 1000:03d}Z"
    reupload = [*old, json.dumps(changed).encode(), *corpus.clones(2)]
    corpus.put(
        last_world_key.removeprefix(world.prefix),
        _gz(reupload),
        Expected(loaded=2, duplicate=len(old),
                 rejected={Reason.DUPLICATE_EVENT_ID_CONFLICT.value: 1}),
    )  # fmt: skip
    corpus.put(
        truncated_key.removeprefix(world.prefix),
        whole,
        Expected(loaded=200 - complete, duplicate=complete),
    )
    run2, state = scheduler.run(world.prefix)
    assert state == "success", scheduler.states(run2)
    manifest = _manifest(warehouse, world.root)
    _check(manifest[(last_world_key, 2)], corpus.expected[last_world_key], last_world_key)
    _check(manifest[(truncated_key, 2)], corpus.expected[truncated_key], truncated_key)
    assert scheduler.asset_events(run2) == [RAW_EVENTS_ASSET.name]

    # Nothing valid lost, nothing loaded twice.
    with psycopg.connect(warehouse) as conn:
        new_ids = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM raw.events "
            "WHERE event_id = ANY(%s::uuid[])",
            (sorted(corpus.new_event_ids),),
        ).fetchone()
        world_events = conn.execute(
            "SELECT count(*) FROM raw.events WHERE source_object = ANY(%s)", (corpus.world_keys,)
        ).fetchone()
    assert new_ids == (len(corpus.new_event_ids), len(corpus.new_event_ids))
    assert world_events == (world.stats.events + 2,)  # + the re-upload's two new events

    # Run 3: a new object of events loaded before: the stages run, nothing new becomes
    # visible, so publish is skipped and no Asset event triggers a transform.
    again = corpus.put("zz/only-duplicates.jsonl.gz", _gz(first_lines), Expected())
    run3, state = scheduler.run(world.prefix)
    assert state == "success"
    assert scheduler.states(run3) == {
        **dict.fromkeys(("discover", *STAGES), "success"),
        "publish": "skipped",
    }
    assert _manifest(warehouse, world.root)[(again, 1)]["duplicate"] == len(first_lines)
    assert scheduler.asset_events(run3) == []

    # Run 4: nothing new at all. Only discover runs (the stage tasks start no process).
    run4, state = scheduler.run(world.prefix)
    assert state == "success"
    assert scheduler.states(run4) == {"discover": "success", **dict.fromkeys(STAGES, "skipped")}
    assert scheduler.asset_events(run4) == []
