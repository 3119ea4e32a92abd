"""Validation workers: fresh interpreters that validate objects beside the stage task.

Each worker is ``python -m socialpulse.ingestion.workers`` started with ``subprocess``: a
new interpreter whose main module is this one. ``multiprocessing``'s spawn (and forkserver)
start method re-imports the parent's ``__main__`` in every child instead; under the Airflow
task runner that is the ``airflow`` CLI, whose import sets Airflow up from the task's
environment and dies there ("Could not parse SQLAlchemy URL"). Forking the task process
(threads, sockets to the supervisor) is no option either.

Protocol: one JSON line per job on the worker's stdin, one JSON line per reply on a private
copy of its stdout (the real stdout is pointed at stderr, so nothing a library prints can
break the protocol; stderr goes to the task log). A reply is ``{"result": ...}`` or
``{"error": ..., "service": bool}``. A worker that dies (killed, out of memory) fails the
job it was on as an error of that object (``service`` false): the object is quarantined
rather than retried into the same death on every run.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import sys
import threading
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

Reply = dict[str, Any]


def run_jobs(jobs: list[dict[str, Any]], workers: int) -> list[Reply]:
    """Validate each job (see :func:`_handle`) in up to ``workers`` processes, in order."""
    todo: queue.SimpleQueue[tuple[int, dict[str, Any]]] = queue.SimpleQueue()
    for pair in enumerate(jobs):
        todo.put(pair)
    replies: list[Reply] = [{} for _ in jobs]

    def drive() -> None:
        proc: subprocess.Popen[bytes] | None = None
        try:
            while True:
                try:
                    index, job = todo.get_nowait()
                except queue.Empty:
                    return
                if proc is None:
                    proc = _start()
                replies[index] = _ask(proc, job)
                if proc.poll() is not None:
                    proc = None  # it died; the next job gets a new one
        finally:
            if proc is not None:
                _stop(proc)

    threads = [threading.Thread(target=drive, daemon=True) for _ in range(min(workers, len(jobs)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return replies


def _start() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "socialpulse.ingestion.workers"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=os.environ.copy(),
    )


def _ask(proc: subprocess.Popen[bytes], job: dict[str, Any]) -> Reply:
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(job).encode() + b"\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
    except OSError:  # BrokenPipeError: it died before taking the job
        line = b""
    if line:
        return dict(json.loads(line))
    code = proc.wait()
    log.error("validation worker %d died (exit code %s) on %s", proc.pid, code, job["item"]["key"])
    return {"error": f"the validation worker died (exit code {code})", "service": False}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.close()  # end of input: the worker exits
        proc.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


def _handle(client: Any, job: dict[str, Any]) -> Reply:
    from socialpulse.ingestion import stages
    from socialpulse.ingestion.faults import is_service_failure
    from socialpulse.ingestion.limits import LineLimits
    from socialpulse.ingestion.work import WorkArea

    try:
        area = WorkArea(client, *job["area"])
        now = datetime.fromisoformat(job["now"])
        return {"result": stages.validate_one(area, job["item"], now, LineLimits(**job["limits"]))}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "service": is_service_failure(exc)}


def main() -> None:
    """Serve jobs from stdin until it closes."""
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # prints go to stderr (the task log), never into the replies
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from generator.writer import minio_client
    from socialpulse.ingestion import stages  # noqa: F401  (imported before the freeze)
    from socialpulse.ingestion.batch_gc import tune_for_batches
    from socialpulse.settings import get_settings

    client = minio_client(get_settings())
    tune_for_batches()  # after the imports, so the freeze covers them
    for line in sys.stdin.buffer:
        replies.write(json.dumps(_handle(client, json.loads(line))).encode() + b"\n")
        replies.flush()


if __name__ == "__main__":
    main()
