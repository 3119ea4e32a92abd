"""Ingestion throughput: MinIO files -> raw tables (read + validate + clean + COPY).

Prints figures, asserts nothing. Generates a world of at least ``--events`` events under a
private key prefix, loads it with the real pipeline in a child process (so its peak RSS is
the loader's alone), then pushes a subset through a naive row-by-row INSERT loader as the
baseline and extrapolates. Rows it loaded are deleted at the end.

    .venv/bin/python benchmarks/ingest.py                  # 200k events (quick)
    .venv/bin/python benchmarks/ingest.py --events 1000000
    .venv/bin/python benchmarks/ingest.py --events 5000000

The pipeline runs the DAG's stage tasks in sequence (read, validate, clean, load, each over
every object, with their MinIO artefacts), and the benchmark prints each stage's wall time.
Besides wall time it reports CPU seconds per event of the loader process (Python) and of
its PostgreSQL backends (sampled from ``/proc``), which stay meaningful when other work
shares the cores.

``--dag`` measures the DAG itself on the running stack's scheduler instead (Airflow
triggered through its REST API, timings from the task instances): a backlog run, an idle
run and a run with one minute file of a ``--users`` world.

    .venv/bin/python benchmarks/ingest.py --dag --users 10000
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import os
import pstats
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from hashlib import md5
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator import runner, simulation, state
from generator.writer import MinioSink, ObjectWriter, minio_client
from socialpulse.contracts import EVENT_ADAPTER, validate_line
from socialpulse.ingestion import stages
from socialpulse.ingestion.batch_gc import tune_for_batches
from socialpulse.ingestion.config import IngestSettings
from socialpulse.ingestion.discover import list_objects
from socialpulse.ingestion.migrate import migrate
from socialpulse.ingestion.pipeline import EVENTS_COPY_COLUMNS, load_objects
from socialpulse.ingestion.reader import iter_lines, open_object
from socialpulse.ingestion.validate import events_row
from socialpulse.ingestion.work import WorkArea
from socialpulse.settings import get_settings


def generate(prefix: str, events: int, users: int) -> int:
    s = get_settings()
    start = (datetime.now(UTC) - timedelta(days=30)).replace(second=0, microsecond=0)
    gen = state.new_state(simulation.create_world(7, start, users))
    writer = ObjectWriter(MinioSink(minio_client(s), s.minio_bucket, prefix))
    total = 0
    t0 = time.perf_counter()
    try:
        while total < events:
            total += runner.backfill(gen, writer, 30).events
    finally:
        writer.close()
    print(f"generated {total:,} events in {time.perf_counter() - t0:.0f}s under {prefix}")
    return total


_APP = "socialpulse-ingest-benchmark"


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process on this host, from ``/proc``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_cpu(dsn: str, out: dict[int, float], stop: threading.Event) -> None:
    """Samples the CPU seconds of the loader's PostgreSQL backend(s) until ``stop``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        while not stop.is_set():
            pids = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (_APP,)
            ).fetchall()
            for (pid,) in pids:
                try:
                    out[pid] = _process_cpu(pid)
                except OSError:  # PostgreSQL runs elsewhere: no backend CPU figure
                    continue
            stop.wait(0.25)


def _python_cpu() -> float:
    """CPU seconds of this process."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def load_child(prefix: str, profile: bool = False) -> None:
    """Runs in a child process: the real pipeline over every object under the prefix."""
    os.environ["PGAPPNAME"] = _APP  # libpq: lets the sampler find the loader's backend
    s = get_settings()
    client = minio_client(s)
    objs = list_objects(client, s.minio_bucket, prefix + "events/")
    cfg = IngestSettings(prefix=prefix + "events/")
    rss_mb: dict[str, float] = {}  # object key -> RSS (MB) after its last batch

    def track(key: str, _batch: int) -> None:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        rss_mb[key] = pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    backend: dict[int, float] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_backend_cpu, args=(s.warehouse_dsn, backend, stop))
    sampler.start()
    area = WorkArea(client, s.minio_bucket, cfg.work_prefix, f"benchmark-{uuid.uuid4().hex[:8]}")
    walls: dict[str, float] = {}
    cpu: dict[str, dict[str, float]] = {}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        """Run one stage; note its wall time, its Python CPU and the
        CPU of the PostgreSQL backends meanwhile; optionally profile it (cProfile)."""
        c0 = _python_cpu()
        b0 = sum(backend.values())
        t = time.perf_counter()
        prof = cProfile.Profile() if profile else None
        out = prof.runcall(fn) if prof else fn()
        walls[name] = time.perf_counter() - t
        time.sleep(0.5)  # let the sampler see the backend's last CPU
        cpu[name] = {"python": _python_cpu() - c0, "postgres": sum(backend.values()) - b0}
        if prof is not None:
            print(f"--- {name}: top functions by own time", file=sys.stderr)
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
        return out

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    try:
        # The DAG's stage tasks, in sequence (each stage over every object, as in a run).
        read = stage("read", lambda: stages.read_objects(area, s.minio_bucket, objs, cfg))
        valid = stage("validate", lambda: stages.validate_objects(area, read.items, cfg))
        cleaned = stage("clean", lambda: stages.clean_objects(area, s.warehouse_dsn, valid.items))
        results, failed = stage(
            "load",
            lambda: load_objects(s.warehouse_dsn, area, cleaned.items, "benchmark", track),
        )
        failed += read.failed + valid.failed + cleaned.failed
        if failed:
            raise RuntimeError(f"objects failed: {failed[:5]}")
    finally:
        dt = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        stop.set()
        sampler.join()
        area.remove()
    read_n = sum(r.counts.rows_read for r in results)
    py_cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork + exec, so it would report
    # the parent's peak (the generator's world) instead of the loader's.
    hwm = [
        ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmHWM")
    ]
    peak = int(hwm[0].split()[1]) / 1024 if hwm else r1.ru_maxrss / 1024
    print(json.dumps({"objects": len(results), "rows": read_n, "seconds": dt, "stages": walls, "stage_cpu": cpu,
                      "peak_rss_mb": peak,
                      "python_cpu_s": py_cpu, "postgres_cpu_s": sum(backend.values()),
                      "loaded": sum(r.counts.rows_loaded for r in results),
                      "largest_object_rows": max((r.counts.rows_read for r in results), default=0),
                      "rss_mb_by_object": [round(rss_mb.get(r.key, 0)) for r in results]}))  # fmt: skip


def naive(prefix: str, limit: int) -> tuple[int, float]:
    """Baseline: per line json + validate, one INSERT per row, commit per file."""
    s = get_settings()
    client = minio_client(s)
    rows = 0
    with psycopg.connect(s.warehouse_dsn) as conn:
        conn.execute(
            "CREATE TEMP TABLE naive_events (event_id uuid PRIMARY KEY, event_type text, "
            "occurred_at timestamptz, actor_id integer, entity_type text, entity_id text, "
            "payload jsonb, source_object text, source_line integer)"
        )
        t0 = time.perf_counter()
        for obj in list_objects(client, s.minio_bucket, prefix + "events/"):
            resp = client.get_object(s.minio_bucket, obj.key)
            lines = gzip.decompress(resp.read()).splitlines()
            resp.close()
            resp.release_conn()
            for n, line in enumerate(lines, start=1):
                event = validate_line(line)
                doc = json.loads(line)
                conn.execute(
                    "INSERT INTO naive_events VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                    "ON CONFLICT DO NOTHING",
                    (event.event_id, event.event_type, event.occurred_at, event.actor_id,
                     event.entity_type, event.entity_id, json.dumps(doc["payload"]), obj.key, n),
                )  # fmt: skip
            conn.commit()
            rows += len(lines)
            if rows >= limit:
                break
        return rows, time.perf_counter() - t0


def floor(prefix: str, limit: int, batch_size: int) -> dict[str, float]:
    """CPU per event of the parts no design can skip, on the same files (µs per event):
    MinIO body -> gzip -> lines; the shared Pydantic contracts on each line; PostgreSQL
    COPYing ready-made rows into a table shaped like ``raw.events`` (same primary key and
    index). Their sum bounds what 2 cores can do: at most ``2 / sum`` events per second."""
    s = get_settings()
    client = minio_client(s)
    tune_for_batches()  # as the stages run
    lines: list[bytes] = []
    c0 = time.process_time()
    for obj in list_objects(client, s.minio_bucket, prefix + "events/"):
        with open_object(client, s.minio_bucket, obj.key) as stream:
            lines.extend(iter_lines(stream))
        if len(lines) >= limit:
            break
    read_s = time.process_time() - c0
    validate = EVENT_ADAPTER.validator.validate_json
    context = {"now": datetime.now(UTC) + timedelta(minutes=5)}
    c0 = time.process_time()
    for line in lines:  # results dropped at once: only the validation is measured
        validate(line, context=context)
    validate_s = time.process_time() - c0
    rows = [
        b"0\tfloor\t" + events_row(validate(line, context=context), line, n, md5(line).hexdigest())
        for n, line in enumerate(lines, start=1)
    ]
    blocks = [b"\n".join(rows[i : i + batch_size]) + b"\n" for i in range(0, len(rows), batch_size)]
    table = f"bench_floor_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(s.warehouse_dsn) as conn:
        conn.execute(f"CREATE TABLE {table} (LIKE raw.events INCLUDING ALL)")
        conn.commit()
        backend = conn.info.backend_pid
        try:
            b0, c0 = _process_cpu(backend), time.process_time()
            for block in blocks:
                with conn.cursor().copy(f"COPY {table} ({EVENTS_COPY_COLUMNS}) FROM STDIN") as cp:
                    cp.write(block)
                conn.commit()
            copy_client_s = time.process_time() - c0
            time.sleep(0.5)
            copy_backend_s = _process_cpu(backend) - b0
        finally:
            conn.execute(f"DROP TABLE {table}")
            conn.commit()
    n = len(lines)
    return {"events": n, "read_us": read_s / n * 1e6, "validate_us": validate_s / n * 1e6,
            "copy_client_us": copy_client_s / n * 1e6, "copy_postgres_us": copy_backend_s / n * 1e6}  # fmt: skip


def cleanup(prefix: str) -> None:
    s = get_settings()
    with psycopg.connect(s.warehouse_dsn) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT manifest_id FROM raw.ingest_manifest WHERE object_key LIKE %s",
                (prefix + "%",),
            ).fetchall()
        ]
        conn.execute(
            "DELETE FROM raw.known_users WHERE event_id IN (SELECT event_id FROM raw.events "
            "WHERE manifest_id = ANY(%s) AND event_type = 'user_registered')",
            (ids,),
        )
        for table in ("raw.events", "raw.quarantine", "raw.ingest_manifest"):
            conn.execute(f"DELETE FROM {table} WHERE manifest_id = ANY(%s)", (ids,))
    from minio.deleteobjects import DeleteObject

    client = minio_client(s)
    objs = client.list_objects(s.minio_bucket, prefix=prefix, recursive=True)
    list(client.remove_objects(s.minio_bucket, [DeleteObject(o.object_name) for o in objs]))


def _estimate_seconds(cpu: dict[str, dict[str, float]]) -> float:
    """Wall time the stages would need on an otherwise idle host, from their CPU: stages run
    one after another, and in each Python and its PostgreSQL backend mostly take turns
    (counted as a sum)."""
    return sum(c["python"] + c["postgres"] for c in cpu.values())


def _seconds(start: str, end: str) -> float:
    """Seconds between two of the REST API's timestamps."""
    parse = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _dag_run(api: Any, prefix: str, label: str) -> float:
    """Trigger ``ingest_events`` for ``prefix``, wait, print its task timings; run seconds."""
    run_id = api.trigger("ingest_events", {"prefix": prefix})
    outcome = api.wait_for_run("ingest_events", run_id, timeout_s=1800)
    run = api.client.get(f"/dags/ingest_events/dagRuns/{run_id}").json()
    tis = api.client.get(f"/dags/ingest_events/dagRuns/{run_id}/taskInstances").json()
    seconds = _seconds(run["start_date"], run["end_date"])
    ran = sorted(
        (t for t in tis["task_instances"] if t["start_date"] and t["state"] != "skipped"),
        key=lambda t: t["start_date"],
    )
    tasks = ", ".join(f"{t['task_id']} {_seconds(t['start_date'], t['end_date']):.1f}" for t in ran)
    print(f"  {label}: {outcome} in {seconds:.1f}s, {len(ran)} task(s) ran: {tasks}")
    return seconds


def dag_runs(users: int, repeats: int) -> None:
    """``ingest_events`` on the running scheduler: a backlog, idle minutes, one-file minutes."""
    from socialpulse.airflow_api import AirflowApi

    s = get_settings()
    api = AirflowApi(s, timeout_s=60)
    api.wait_for_dag("ingest_events")
    prefix = f"bench-dag-{uuid.uuid4().hex[:8]}/"
    backlog = 62  # the world's busy first hour (every user registers), and two more minutes
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=backlog + repeats + 1)
    gen = state.new_state(simulation.create_world(7, start, users))
    sink = MinioSink(minio_client(s), s.minio_bucket, prefix)
    paused = {d: api.is_paused(d) for d in ("ingest_events", "transform")}
    api.set_paused("transform", True)  # measure ingestion alone
    api.unpause("ingest_events")
    try:
        writer = ObjectWriter(sink)
        try:
            stats = runner.backfill(gen, writer, backlog)
        finally:
            writer.close()
        print(
            f"ingest_events on the scheduler ({s.airflow_url}), a {users:,}-user world under {prefix}"
        )
        _dag_run(
            api, prefix + "events/", f"backlog of {stats.objects} files, {stats.events:,} events"
        )
        idle = [_dag_run(api, prefix + "events/", "idle") for _ in range(repeats)]
        one = []
        for _ in range(repeats):
            writer = ObjectWriter(sink)
            try:
                minute = runner.backfill(gen, writer, 1)
            finally:
                writer.close()
            one.append(_dag_run(api, prefix + "events/", f"one file, {minute.events:,} events"))
        print(f"  median: idle {sorted(idle)[len(idle) // 2]:.1f}s, one file "
              f"{sorted(one)[len(one) // 2]:.1f}s; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        for dag_id, was in paused.items():
            api.set_paused(dag_id, was)
        cleanup(prefix)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000, help="events to generate and load")
    ap.add_argument("--users", type=int, default=20_000, help="users of the generated world")
    ap.add_argument("--naive-events", type=int, default=20_000, help="subset for the baseline")
    ap.add_argument("--floor-events", type=int, default=200_000, help="subset for the floor")
    ap.add_argument(
        "--profile", action="store_true", help="cProfile each stage (validation in-process)"
    )
    ap.add_argument(
        "--dag", action="store_true", help="time DAG runs on the running scheduler instead"
    )
    ap.add_argument("--repeats", type=int, default=3, help="--dag: idle and one-file runs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        load_child(args.child, args.profile)
        return
    if args.dag:
        dag_runs(args.users, args.repeats)
        return
    migrate(get_settings().warehouse_dsn)
    prefix = f"bench-ingest-{uuid.uuid4().hex[:8]}/"
    try:
        generate(prefix, args.events, args.users)
        cmd = [
            sys.executable,
            __file__,
            "--child",
            prefix,
            *(["--profile"] if args.profile else []),
        ]
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
        if args.profile:
            print(proc.stderr)
        out = proc.stdout
        fast = json.loads(out.strip().splitlines()[-1])
        rate = fast["rows"] / fast["seconds"]
        print(f"pipeline: {fast['rows']:,} events from {fast['objects']} objects in "
              f"{fast['seconds']:.1f}s = {rate:,.0f} events/s; peak RSS "
              f"{fast['peak_rss_mb']:.0f} MB")  # fmt: skip
        print(
            "  stage wall seconds (events/s): "
            + ", ".join(
                f"{k}={v:.1f} ({fast['rows'] / v:,.0f}/s)" for k, v in fast["stages"].items()
            )
        )
        cpu = fast["stage_cpu"]
        n = fast["rows"]
        print(
            "  stage CPU us/event (python / postgres): "
            + ", ".join(
                f"{k}={c['python'] / n * 1e6:.1f}/{c['postgres'] / n * 1e6:.1f}"
                for k, c in cpu.items()
            )
            + "; estimate from CPU (stages in sequence, idle host): "
            + f"{n / _estimate_seconds(cpu):,.0f} events/s"
        )
        rss = fast["rss_mb_by_object"]
        print(f"  loaded {fast['loaded']:,}; largest object {fast['largest_object_rows']:,} "
              f"lines; RSS after objects 1/25%/50%/75%/last: "
              + " ".join(f"{rss[int(q * (len(rss) - 1))]}" for q in (0, .25, .5, .75, 1))
              + " MB")  # fmt: skip
        per = {k: fast[f"{k}_cpu_s"] / fast["rows"] * 1e6 for k in ("python", "postgres")}
        print(f"  CPU: loader {fast['python_cpu_s']:.1f}s ({per['python']:.1f} us/event), "
              f"PostgreSQL backends {fast['postgres_cpu_s']:.1f}s ({per['postgres']:.1f} us/event)"
              f"; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        low = floor(prefix, args.floor_events, IngestSettings().batch_size)
        parts = ("read", "validate", "copy_client", "copy_postgres")
        total_us = sum(low[f"{p}_us"] for p in parts)
        print(f"floor ({low['events']:,} events, CPU us/event): MinIO+gzip+lines {low['read_us']:.1f}, "
              f"Pydantic contracts {low['validate_us']:.1f}, COPY of ready rows into a copy of "
              f"raw.events {low['copy_client_us']:.1f} client + {low['copy_postgres_us']:.1f} PostgreSQL"
              f" = {total_us:.1f} us: at most {2e6 / total_us:,.0f} events/s on 2 cores with "
              f"nothing else (no dedupe, references, quarantine or stage hand-offs)")  # fmt: skip
        n, secs = naive(prefix, args.naive_events)
        naive_rate = n / secs
        print(f"naive row-by-row INSERT: {n:,} events in {secs:.1f}s = {naive_rate:,.0f} events/s "
              f"(subset; {fast['rows']:,} events would take ~{fast['rows'] / naive_rate:.0f}s)")  # fmt: skip
        print(f"speed-up: {rate / naive_rate:.1f}x")
    finally:
        cleanup(prefix)


if __name__ == "__main__":
    main()
