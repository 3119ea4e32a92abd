"""Backfill throughput: events/s (generated, validated, gzipped, written to MinIO) and
bytes per simulated day. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/generate.py                      # quick: 10k users, 2 h
    .venv/bin/python benchmarks/generate.py --users 100000 --days 0.25
    .venv/bin/python benchmarks/generate.py --local /tmp/bench    # no MinIO: files on disk
"""

from __future__ import annotations

import argparse
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from generator import runner, simulation, state
from generator.writer import LocalSink, MinioSink, ObjectWriter, Sink, minio_client
from socialpulse.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=2 / 24)
    parser.add_argument(
        "--skip-bootstrap", type=int, default=60, help="minutes generated before timing"
    )
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument(
        "--local", type=Path, default=None, help="write files here instead of MinIO"
    )
    args = parser.parse_args()

    settings = get_settings()
    prefix = f"bench-{uuid.uuid4().hex[:8]}/"
    sink: Sink
    if args.local is not None:
        sink = LocalSink(args.local / prefix)
    else:
        client = minio_client(settings)
        sink = MinioSink(client, settings.minio_bucket, prefix)
    t0 = time.perf_counter()
    gen = state.new_state(simulation.create_world(1, datetime(2026, 3, 2, tzinfo=UTC), args.users))
    # The bootstrap hour registers everyone (atypically heavy); time the steady state after it.
    warm = ObjectWriter(sink)
    boot = runner.backfill(gen, warm, args.skip_bootstrap, validate=not args.no_validate)
    warm.close()
    print(
        f"world of {args.users:,} users built + {args.skip_bootstrap} bootstrap minutes: "
        f"{time.perf_counter() - t0:.1f} s, {boot.events:,} events ({boot.events_per_second:,.0f}/s)"
    )
    minutes = round(args.days * 1440)
    writer = ObjectWriter(sink)
    stats = runner.backfill(gen, writer, minutes, validate=not args.no_validate)
    writer.close()
    per_day = stats.bytes_written / minutes * 1440
    print(
        f"steady state: {minutes} minutes, {stats.events:,} events in {stats.seconds:.1f} s "
        f"= {stats.events_per_second:,.0f} events/s (validate={not args.no_validate})"
    )
    print(
        f"  {stats.bytes_written / max(stats.events, 1):.1f} gzip bytes/event, "
        f"~{stats.events / minutes * 1440:,.0f} events and ~{per_day / 1e6:,.1f} MB per simulated day"
    )
    if args.local is not None:
        shutil.rmtree(args.local / prefix, ignore_errors=True)
    else:
        from minio.deleteobjects import DeleteObject

        objs = client.list_objects(settings.minio_bucket, prefix=prefix, recursive=True)
        list(
            client.remove_objects(
                settings.minio_bucket, [DeleteObject(o.object_name) for o in objs]
            )
        )


if __name__ == "__main__":
    main()
