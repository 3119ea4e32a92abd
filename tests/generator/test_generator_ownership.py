"""One world per bucket prefix, and no object ever rewritten.

Two worlds in one prefix have colliding ids (the warehouse would merge their users and
posts), so the generator records which world owns a prefix and refuses another one unless
forced; it never overwrites an object, and ``generate run`` restarts where it stopped.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from generator import ownership, runner, simulation, state
from generator.world import minute_index
from generator.writer import (
    LocalSink,
    MinioSink,
    ObjectExistsError,
    ObjectWriter,
    minio_client,
    object_key,
)
from socialpulse.settings import Settings

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 2, tzinfo=UTC)


def _world(seed: int = 3, start: datetime = START) -> state.GeneratorState:
    return state.new_state(simulation.create_world(seed, start, 30))


def _write(gen: state.GeneratorState, sink: Any, minutes: int) -> runner.Stats:
    writer = ObjectWriter(sink)
    try:
        return runner.backfill(gen, writer, minutes)
    finally:
        writer.close()


def test_a_prefix_belongs_to_the_first_world_and_refuses_another(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    first, second = _world(), _world()
    assert "now belongs to world" in ownership.claim(sink, first, "a", resumed=False)
    assert "belongs to this world" in ownership.claim(sink, first, "a", resumed=True)
    with pytest.raises(ownership.PrefixOwnedError, match="--force") as refused:
        ownership.claim(sink, second, "b", resumed=False)
    assert first.run_id in str(refused.value)
    assert "taken over" in ownership.claim(sink, second, "b", resumed=False, force=True)
    record = json.loads((tmp_path / ownership.OWNER_KEY).read_text())
    assert record["world"] == second.run_id
    assert [p["world"] for p in record["previous"]] == [first.run_id]


def test_objects_without_an_owner_record_are_only_continued_by_a_saved_world(
    tmp_path: Path,
) -> None:
    sink = LocalSink(tmp_path)
    _write(_world(), sink, 2)  # written before owner records existed: no claim
    with pytest.raises(ownership.PrefixOwnedError, match="no owner record"):
        ownership.claim(sink, _world(seed=4), "new", resumed=False)
    resumed = _world()
    assert "now belongs to world" in ownership.claim(sink, resumed, "saved", resumed=True)


def test_an_object_is_never_overwritten_but_the_same_bytes_are_left_alone(
    tmp_path: Path,
) -> None:
    sink = LocalSink(tmp_path)
    assert sink.put("events/x.jsonl.gz", b"one", {}, "application/gzip") is True
    assert sink.put("events/x.jsonl.gz", b"one", {}, "application/gzip") is False
    with pytest.raises(ObjectExistsError, match="never overwrites"):
        sink.put("events/x.jsonl.gz", b"two", {}, "application/gzip")
    assert (tmp_path / "events/x.jsonl.gz").read_bytes() == b"one"


def test_a_backfill_refuses_minutes_that_already_have_objects(tmp_path: Path) -> None:
    sink = LocalSink(tmp_path)
    _write(_world(), sink, 5)
    with pytest.raises(ownership.PrefixOwnedError, match="5 of the minutes"):
        ownership.check_free_minutes(sink, START - timedelta(minutes=3), 10)
    ownership.check_free_minutes(sink, START + timedelta(minutes=5), 10)  # after the last one


def test_one_process_at_a_time_holds_a_world(tmp_path: Path) -> None:
    path = tmp_path / "w.pkl.gz"
    with (
        state.locked(path),
        pytest.raises(state.StateInUseError, match=str(os.getpid())),
        state.locked(path),
    ):
        pass
    with state.locked(path):  # released
        pass


def test_each_target_has_its_own_default_state() -> None:
    names = {
        state.default_name("s3://social-events/"),
        state.default_name("s3://social-events/other/"),
        state.default_name("s3://another-bucket/"),
    }
    assert len(names) == 3


# --- against MinIO, through the command line ---------------------------------------------


@pytest.fixture
def prefix(
    started_service: Callable[[str], Any], settings: Settings
) -> Iterator[tuple[MinioSink, str]]:
    started_service("minio")
    name = f"test-ownership-{uuid.uuid4().hex[:8]}/"
    sink = MinioSink(minio_client(settings), settings.minio_bucket, name)
    yield sink, name
    from minio.deleteobjects import DeleteObject

    objs = sink.client.list_objects(sink.bucket, prefix=name, recursive=True)
    list(sink.client.remove_objects(sink.bucket, [DeleteObject(o.object_name) for o in objs]))


@pytest.mark.stack
def test_minio_objects_are_never_overwritten(prefix: tuple[MinioSink, str]) -> None:
    sink, _ = prefix
    big = os.urandom(6 << 20)  # above the single-PUT size: its ETag is not a plain md5
    for body in (b"one", big):
        key = f"events/{len(body)}.jsonl.gz"
        assert sink.put(key, body, {}, "application/gzip") is True
        assert sink.put(key, body, {}, "application/gzip") is False
        with pytest.raises(ObjectExistsError):
            sink.put(key, body + b"!", {}, "application/gzip")
        assert sink.get(key) == body


def _generate(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOCIALPULSE_STATE_DIR": str(state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "socialpulse.cli", "generate", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.stack
def test_backfills_continue_one_world_and_refuse_a_second(
    prefix: tuple[MinioSink, str], tmp_path: Path
) -> None:
    sink, name = prefix
    start = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    args = ("--prefix", name, "--users", "30")
    first = _generate(
        tmp_path, "backfill", "--days", "0.01", "--start", start, "--name", "mine", *args
    )
    assert first.returncode == 0, first.stderr
    keys = sorted(sink.keys("events/"))
    # The second backfill resumes the prefix's world (the state its owner record names, with
    # no --name given) after its last minute.
    again = _generate(tmp_path, "backfill", "--days", "0.01", "--prefix", name)
    assert again.returncode == 0, again.stderr
    assert "resuming world" in again.stdout
    both = sorted(sink.keys("events/"))
    assert both[: len(keys)] == keys
    assert len(both) == 2 * len(keys)
    saved = {k: sink.get(k) for k in both}
    # A new world is refused there, the saved one is kept, nothing is rewritten.
    for refused in (
        _generate(tmp_path, "backfill", "--days", "0.01", "--fresh", *args),
        _generate(tmp_path, "backfill", "--days", "0.01", "--seed", "99", "--prefix", name),
    ):
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "error:" in refused.stderr
    assert {k: sink.get(k) for k in sorted(sink.keys("events/"))} == saved
    third = _generate(tmp_path, "backfill", "--days", "0.001", "--prefix", name)
    assert third.returncode == 0, third.stderr
    assert "resuming world" in third.stdout


def test_run_restarts_without_repeating_or_skipping_a_minute(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "SOCIALPULSE_STATE_DIR": str(tmp_path / "state")}
    cmd = [sys.executable, "-m", "socialpulse.cli", "generate", "run", "--users", "30",
           "--out-dir", str(out), "--minute-seconds", "1"]  # fmt: skip

    def written() -> list[Path]:
        return sorted(out.glob("events/**/*.jsonl.gz"))

    def run_until(count: int, stop: signal.Signals) -> int:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while len(written()) < count and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(written()) >= count, proc.stdout.read() if proc.stdout else ""
            proc.send_signal(stop)
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        return proc.returncode

    assert run_until(2, signal.SIGTERM) == 0
    assert run_until(len(written()) + 2, signal.SIGKILL) == -signal.SIGKILL
    contents = {p: p.read_bytes() for p in written()}
    assert run_until(len(written()) + 2, signal.SIGTERM) == 0  # after a kill: no rewrite
    assert all(p.read_bytes() == b for p, b in contents.items())
    minutes = [
        minute_index(datetime.strptime(p.name[:20], "%Y-%m-%dT%H:%M:00Z").replace(tzinfo=UTC))
        for p in written()
    ]
    assert minutes == list(range(minutes[0], minutes[0] + len(minutes)))  # no gap, no repeat
    for path in written():
        gzip.decompress(path.read_bytes())  # complete objects only
    (saved_path,) = (tmp_path / "state" / "generator").glob("*.pkl.gz")
    saved = state.load(saved_path)
    assert saved is not None
    assert saved.world.next_minute == minutes[-1] + 1
    assert (out / object_key(datetime.fromtimestamp(minutes[0] * 60, UTC))).exists()
