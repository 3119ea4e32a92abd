"""Killing the stack's services in the middle of DAG runs, and checking what survives.

A fault is a SIGKILL, as a crash or an OOM kill would deliver it: no clean shutdown. The
stack manager then starts the service again (``stack up`` semantics) and the pipeline must
recover by itself: nobody clears a task.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg

from infra.stack.base import pid_alive, wait_for
from infra.stack.registry import service
from socialpulse.settings import Settings

#: What can be killed: each native service, and the Airflow scheduler alone.
TARGETS = ("postgres", "minio", "clickhouse", "neo4j", "airflow-scheduler")


def _children(pid: int) -> list[int]:
    """Children started by any thread of ``pid`` (the standalone starts its components from
    threads)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(p) for p in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return children


def scheduler_pid(settings: Settings) -> int:
    """The pid of `airflow scheduler` under the stack's standalone process."""
    root = service("airflow", settings).pid()
    if root is None:
        raise RuntimeError("Airflow is not running")
    todo, seen = [root], set()
    while todo:
        pid = todo.pop(0)  # breadth first: the scheduler before its own children
        seen.add(pid)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        # `airflow scheduler` as launched, or its process title ("airflow scheduler -- ...")
        words = b" ".join(cmdline).split()
        if any(w.endswith(b"airflow") and n == b"scheduler" for w, n in pairwise(words)):
            return pid
        todo.extend(c for c in _children(pid) if c not in seen)
    raise RuntimeError("no scheduler process under the Airflow standalone")


def kill(settings: Settings, target: str) -> int:
    """SIGKILL the target's process; returns the pid killed."""
    if target == "airflow-scheduler":
        pid = scheduler_pid(settings)
    else:
        found = service(target, settings).pid()
        if found is None:
            raise RuntimeError(f"{target} is not running")
        pid = found
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), 30)
    return pid


def restart(settings: Settings, target: str) -> None:
    """Start whatever the kill took down, through the stack manager (like `stack up`)."""
    name = "airflow" if target == "airflow-scheduler" else target
    if target == "postgres":
        # Airflow's metadata database lives there too: Airflow recovers or is restarted.
        service("postgres", settings).start()
        name = "airflow"
    service(name, settings).start()


@dataclass(frozen=True)
class Recovery:
    target: str
    dag: str
    run_id: str
    seconds: float


def ingested(settings: Settings, keys: list[str]) -> bool:
    """Every delivered object has its manifest row (loaded or quarantined)."""
    with psycopg.connect(settings.warehouse_dsn, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(DISTINCT object_key) FROM raw.ingest_manifest WHERE object_key = ANY(%s)",
            (keys,),
        ).fetchone()
    return bool(row and row[0] == len(keys))


def caught_up(settings: Settings, keys: list[str]) -> bool:
    """Every delivered object is in the manifest, and a completed transform run covers all of
    raw."""
    with psycopg.connect(settings.warehouse_dsn, connect_timeout=5) as conn:
        loaded = conn.execute(
            "SELECT count(DISTINCT object_key) FROM raw.ingest_manifest WHERE object_key = ANY(%s)",
            (keys,),
        ).fetchone()
        covered = conn.execute(
            """SELECT coalesce(
                   (SELECT max(load_ts_to) FROM raw.load_snapshots
                    WHERE consumer = 'transform' AND completed_at IS NOT NULL)
                   >= (SELECT max(loaded_at) FROM raw.events), false)"""
        ).fetchone()
    return bool(loaded and loaded[0] == len(keys) and covered and covered[0])


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Seconds until ``predicate`` held (errors while services restart count as not yet)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            if predicate():
                return time.monotonic() - started
        except Exception:  # a service is still coming back
            pass
        time.sleep(2)
    raise AssertionError(f"{what} not reached within {timeout_s:.0f} s")


def table_fingerprints(dsn: str, schemas: tuple[str, ...], skip: set[str]) -> dict[str, Any]:
    """Per table: row count and an order-free digest of its rows without load-time columns."""
    out: dict[str, Any] = {}
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' ORDER BY 1, 2",
            (list(schemas),),
        ).fetchall()
        for schema, table in tables:
            columns = [
                c
                for (c,) in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                    (schema, table),
                ).fetchall()
                if c not in skip
            ]
            row = ", ".join(f'"{c}"' for c in columns)
            out[f"{schema}.{table}"] = conn.execute(
                f"SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') "
                f"FROM (SELECT md5(ROW({row})::text) AS h FROM {schema}.{table}) r"
            ).fetchone()
    return out
