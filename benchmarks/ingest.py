"""Ingestion throughput: MinIO files -> raw tables (read + validate + clean + COPY).

Prints figures, asserts nothing. Generates a world of at least ``--events`` events under a
private key prefix, loads it with the real pipeline in a child process (so its peak RSS is
the loader's alone), then pushes a subset through a naive row-by-row INSERT loader as the
baseline and extrapolates. Rows it loaded are deleted at the end.

    .venv/bin/python benchmarks/ingest.py                  # 200k events (quick)
    .venv/bin/python benchmarks/ingest.py --events 1000000
    .venv/bin/python benchmarks/ingest.py --events 5000000
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator import runner, simulation, state
from generator.writer import MinioSink, ObjectWriter, minio_client
from socialpulse.contracts import validate_line
from socialpulse.ingestion.config import IngestSettings
from socialpulse.ingestion.discover import list_objects
from socialpulse.ingestion.migrate import migrate
from socialpulse.ingestion.pipeline import process_objects
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


def load_child(prefix: str) -> None:
    """Runs in a child process: the real pipeline over every object under the prefix."""
    s = get_settings()
    client = minio_client(s)
    objs = list_objects(client, s.minio_bucket, prefix + "events/")
    cfg = IngestSettings(prefix=prefix + "events/")
    t0 = time.perf_counter()
    results = process_objects(s.warehouse_dsn, client, s.minio_bucket, objs, cfg, "benchmark")
    dt = time.perf_counter() - t0
    stages = {n: sum(getattr(r.counts, f"{n}_ms") for r in results) / 1000 for n in
              ("read", "validate", "clean", "load")}  # fmt: skip
    read = sum(r.counts.rows_read for r in results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"objects": len(results), "rows": read, "seconds": dt, "stages": stages,
                      "peak_rss_mb": peak}))  # fmt: skip


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


def cleanup(prefix: str) -> None:
    s = get_settings()
    with psycopg.connect(s.warehouse_dsn) as conn:
        like = prefix + "%"
        conn.execute(
            "DELETE FROM raw.known_users k USING raw.events e "
            "WHERE e.event_id = k.event_id AND e.source_object LIKE %s",
            (like,),
        )
        conn.execute("DELETE FROM raw.events WHERE source_object LIKE %s", (like,))
        conn.execute("DELETE FROM raw.quarantine WHERE object_key LIKE %s", (like,))
        conn.execute("DELETE FROM raw.ingest_manifest WHERE object_key LIKE %s", (like,))
    from minio.deleteobjects import DeleteObject

    client = minio_client(s)
    objs = client.list_objects(s.minio_bucket, prefix=prefix, recursive=True)
    list(client.remove_objects(s.minio_bucket, [DeleteObject(o.object_name) for o in objs]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000, help="events to generate and load")
    ap.add_argument("--users", type=int, default=20_000, help="users of the generated world")
    ap.add_argument("--naive-events", type=int, default=20_000, help="subset for the baseline")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        load_child(args.child)
        return
    migrate(get_settings().warehouse_dsn)
    prefix = f"bench-ingest-{uuid.uuid4().hex[:8]}/"
    try:
        generate(prefix, args.events, args.users)
        out = subprocess.run([sys.executable, __file__, "--child", prefix], check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        fast = json.loads(out.strip().splitlines()[-1])
        rate = fast["rows"] / fast["seconds"]
        print(f"pipeline: {fast['rows']:,} events from {fast['objects']} objects in "
              f"{fast['seconds']:.1f}s = {rate:,.0f} events/s (one process); "
              f"peak RSS {fast['peak_rss_mb']:.0f} MB")  # fmt: skip
        print("  stage seconds: " + ", ".join(f"{k}={v:.1f}" for k, v in fast["stages"].items()))
        n, secs = naive(prefix, args.naive_events)
        naive_rate = n / secs
        print(f"naive row-by-row INSERT: {n:,} events in {secs:.1f}s = {naive_rate:,.0f} events/s "
              f"(subset; {fast['rows']:,} events would take ~{fast['rows'] / naive_rate:.0f}s)")  # fmt: skip
        print(f"speed-up: {rate / naive_rate:.1f}x")
    finally:
        cleanup(prefix)


if __name__ == "__main__":
    main()
