"""Keep one process running and healthy: a restart policy for services that cannot heal
themselves.

`airflow standalone` runs the scheduler, DAG processor, triggerer and API server as children
and never restarts one that dies: a scheduler that loses its metadata database (PostgreSQL
killed or restarted) exits, and the standalone stays up without it, so nothing is scheduled
again. A container runtime restarts a process that exits, not one that is merely unhealthy,
so the native stack and the compose service both run it under :func:`supervise`: the child is
restarted when it exits, and when its health check fails for ``unhealthy_after_s`` in a row
(after it was healthy once, or after ``start_grace_s`` without ever being healthy).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestartPolicy:
    #: how long a fresh child may take to become healthy
    start_grace_s: float = 300.0
    #: consecutive unhealthy time after which a child that was healthy is restarted
    unhealthy_after_s: float = 90.0
    poll_s: float = 5.0
    #: wait before restarting a child that exited, doubled per quick failure up to the max
    backoff_s: float = 5.0
    max_backoff_s: float = 60.0
    #: after SIGINT, how long the child may take to stop before its group is killed
    stop_timeout_s: float = 45.0


def _stop_group(proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """SIGINT the child (it stops its components), then SIGKILL whatever is left of its
    process group (task workers included)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout_s)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


def supervise(
    argv: Sequence[str | os.PathLike[str]],
    healthy: Callable[[], bool],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    policy: RestartPolicy = RestartPolicy(),
) -> int:
    """Run ``argv`` until SIGINT/SIGTERM, restarting it as the policy says; returns 0."""
    stopping = False

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    backoff = policy.backoff_s
    while not stopping:
        started = time.monotonic()
        # its own process group: a restart can kill every descendant at once
        proc = subprocess.Popen(
            [str(a) for a in argv], env=dict(env) if env else None, cwd=cwd,
            start_new_session=True,
        )  # fmt: skip
        log.warning("supervisor: started %s (pid %d)", argv[0], proc.pid)
        reason = _watch(proc, healthy, policy, lambda: stopping)
        _stop_group(proc, policy.stop_timeout_s)
        if stopping:
            break
        log.warning("supervisor: restarting %s: %s", argv[0], reason)
        if time.monotonic() - started < policy.start_grace_s:
            deadline = time.monotonic() + backoff
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
            backoff = min(backoff * 2, policy.max_backoff_s)
        else:
            backoff = policy.backoff_s
    return 0


def _watch(
    proc: subprocess.Popen[bytes],
    healthy: Callable[[], bool],
    policy: RestartPolicy,
    stopping: Callable[[], bool],
) -> str:
    """Wait until the child must be restarted; the reason (empty when stopping)."""
    started = time.monotonic()
    was_healthy = False
    unhealthy_since: float | None = None
    while not stopping():
        code = proc.poll()
        if code is not None:
            return f"it exited with code {code}"
        now = time.monotonic()
        try:
            ok = healthy()
        except Exception:  # a probe that cannot answer is a failed probe
            ok = False
        if ok:
            was_healthy, unhealthy_since = True, None
        elif not was_healthy:
            if now - started > policy.start_grace_s:
                return f"not healthy {policy.start_grace_s:.0f} s after its start"
        else:
            unhealthy_since = unhealthy_since or now
            if now - unhealthy_since > policy.unhealthy_after_s:
                return f"unhealthy for {policy.unhealthy_after_s:.0f} s"
        deadline = time.monotonic() + policy.poll_s
        while not stopping() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    return ""
