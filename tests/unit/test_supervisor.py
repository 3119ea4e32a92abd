"""The restart policy the native stack runs Airflow under, on real child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

#: A child that writes its pid to a file, optionally exits after a while.
CHILD = textwrap.dedent(
    """
    import os, sys, time
    with open(sys.argv[1], "a") as f:
        f.write(f"{os.getpid()}\\n")
    time.sleep(float(sys.argv[2]))
    """
)

RUNNER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from infra.stack.supervisor import RestartPolicy, supervise

    pids, child_s, healthy_flag = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    policy = RestartPolicy(start_grace_s=3, unhealthy_after_s=1, poll_s=0.2, backoff_s=0.2,
                           max_backoff_s=0.5, stop_timeout_s=2)
    supervise([sys.executable, "-c", sys.argv[4], str(pids), child_s], healthy_flag.exists,
              policy=policy)
    """
)


def _starts(pids: Path) -> list[int]:
    return [int(p) for p in pids.read_text().split()] if pids.exists() else []


def _wait(predicate, timeout_s: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def _supervisor(tmp_path: Path, child_s: float) -> tuple[subprocess.Popen[bytes], Path, Path]:
    pids, healthy = tmp_path / "pids", tmp_path / "healthy"
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(pids), str(child_s), str(healthy), CHILD],
        cwd=Path(__file__).resolve().parents[2],
    )
    return proc, pids, healthy


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_child_that_exits_is_started_again(tmp_path: Path) -> None:
    proc, pids, healthy = _supervisor(tmp_path, child_s=0.5)
    healthy.touch()
    try:
        _wait(lambda: len(_starts(pids)) >= 3)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    assert len(set(_starts(pids))) == len(_starts(pids))  # a new process each time


def test_a_child_that_stays_unhealthy_is_replaced_and_sigterm_stops_it(tmp_path: Path) -> None:
    proc, pids, healthy = _supervisor(tmp_path, child_s=600)
    healthy.touch()
    try:
        _wait(lambda: len(_starts(pids)) == 1)
        time.sleep(1.5)  # healthy for longer than unhealthy_after_s: no restart
        assert len(_starts(pids)) == 1
        healthy.unlink()  # its health check now fails
        _wait(lambda: len(_starts(pids)) >= 2)
        healthy.touch()
        first, *_, latest = _starts(pids)
        _wait(lambda: not _alive(first))  # the unhealthy one was stopped, not left behind
        assert _alive(latest)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    _wait(lambda: not any(_alive(p) for p in _starts(pids)))
