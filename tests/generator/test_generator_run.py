"""``generate run`` (wall-clock mode) as a real process, on a fast clock (no services)."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from generator import state
from generator.world import minute_index
from generator.writer import object_key
from socialpulse.contracts import validate_line

REPO = Path(__file__).resolve().parents[2]


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_run_writes_the_minute_just_ended_and_saves_state_on_sigterm(tmp_path: Path) -> None:
    out = tmp_path / "out"
    started = datetime.now(UTC).replace(second=0, microsecond=0)
    env = {**os.environ, "SOCIALPULSE_STATE_DIR": str(tmp_path / "state")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from generator.cli import app; app()", "run",
         "--users", "40", "--seed", "5", "--name", "fast", "--out-dir", str(out),
         "--minute-seconds", "1.5"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:

        def written() -> list[Path]:
            return sorted(out.glob("events/**/*.jsonl.gz"))

        # The first object is the minute that had just ended when the process started.
        assert _wait_for(lambda: len(written()) >= 2, timeout=30), proc.poll()
        just_ended = {
            str(out / object_key(started - timedelta(minutes=1))),
            str(out / object_key(started)),  # if the start straddled a minute boundary
        }
        assert str(written()[0]) in just_ended
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output.decode()
    assert b"stopped after" in output
    files = written()
    for path in files:
        lines = gzip.decompress(path.read_bytes()).splitlines()
        now = datetime.now(UTC) + timedelta(hours=1)  # the fast clock runs ahead of real time
        assert all(validate_line(line, now=now) for line in lines)
    saved = state.load(tmp_path / "state" / "generator" / "fast.pkl.gz")
    assert saved is not None
    first = minute_index(
        datetime.strptime(files[0].name[:20], "%Y-%m-%dT%H:%M:00Z").replace(tzinfo=UTC)
    )
    assert saved.world.next_minute == first + len(files)  # every written minute, no more
