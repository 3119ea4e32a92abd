"""Backfill throughput: events/s (generated, validated, gzipped, written to MinIO) and
bytes per simulated day, plus the cost of each stage. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/generate.py                       # 10k users, one simulated day
    .venv/bin/python benchmarks/generate.py --users 100000 --days 0.0417   # one hour
    .venv/bin/python benchmarks/generate.py --local /tmp/bench     # no MinIO: files on disk
    .venv/bin/python benchmarks/generate.py --validate-in 0        # validate in-process

Wall-clock rates depend on what else runs on the machine; the CPU-time rates (per stage,
single core) are the steadier figures to compare.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from generator import runner, simulation, state
from generator.writer import (
    LocalSink,
    MinioSink,
    ObjectWriter,
    Sink,
    encode,
    gzip_bytes,
    join_lines,
    minio_client,
)
from socialpulse.contracts import validate_lines
from socialpulse.settings import get_settings


def _stages(gen: state.GeneratorState, minutes: int) -> None:
    """CPU time per event of each stage, on ``minutes`` further minutes of the same world."""
    gc.freeze()
    t0 = time.process_time()
    batches = [simulation.step(gen.world) for _ in range(minutes)]
    t1 = time.process_time()
    lines = [encode(events) for _, events in batches]
    t2 = time.process_time()
    for (minute, _), chunk in zip(batches, lines, strict=True):
        validate_lines(chunk, now=minute + timedelta(minutes=1))
    t3 = time.process_time()
    n = sum(len(chunk) for chunk in lines)
    raws = [join_lines(chunk) for chunk in lines]
    print(f"stages on {minutes} more minutes ({n:,} events), CPU time of one core:")
    print(f"  generate {n / (t1 - t0):>10,.0f} events/s  ({(t1 - t0) / n * 1e6:.1f} us/event)")
    print(f"  encode   {n / (t2 - t1):>10,.0f} events/s  ({(t2 - t1) / n * 1e6:.1f} us/event)")
    print(f"  validate {n / (t3 - t2):>10,.0f} events/s  ({(t3 - t2) / n * 1e6:.1f} us/event)")
    raw_size = sum(len(r) for r in raws)
    for level in (1, 3, 6, 9):
        t = time.process_time()
        size = sum(len(gzip_bytes(r, level)) for r in raws)
        dt = time.process_time() - t
        print(
            f"  gzip -{level}  {n / dt:>10,.0f} events/s  {size / n:5.1f} bytes/event "
            f"(ratio {raw_size / size:.1f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument(
        "--skip-bootstrap", type=int, default=60, help="minutes generated before timing"
    )
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument(
        "--validate-in", type=int, default=1, help="validation processes (0 = in-process)"
    )
    parser.add_argument("--stages", type=int, default=10, help="minutes for the stage timings")
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
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    t0 = time.perf_counter()
    gen = state.new_state(simulation.create_world(1, datetime(2026, 3, 2, tzinfo=UTC), args.users))
    # The bootstrap hour registers everyone (atypically heavy); time the steady state after it.
    warm = ObjectWriter(sink)
    boot = runner.backfill(gen, warm, args.skip_bootstrap, validate=not args.no_validate)
    warm.close()
    print(
        f"world of {args.users:,} users built + {args.skip_bootstrap} bootstrap minutes: "
        f"{time.perf_counter() - t0:.1f} s, {boot.events:,} events"
    )
    minutes = round(args.days * 1440)
    writer = ObjectWriter(sink, validate_in=0 if args.no_validate else args.validate_in)
    cpu = time.process_time()
    stats = runner.backfill(gen, writer, minutes, validate=not args.no_validate)
    cpu = time.process_time() - cpu
    writer.close()
    per_day = stats.bytes_written / minutes * 1440
    print(
        f"backfill: {minutes} minutes, {stats.events:,} events in {stats.seconds:.1f} s wall "
        f"= {stats.events_per_second:,.0f} events/s end to end (validate={not args.no_validate}, "
        f"validation processes={args.validate_in}); main process CPU "
        f"{stats.events / cpu:,.0f} events/s; load average now {os.getloadavg()[0]:.1f}"
    )
    scaled = "" if minutes == 1440 else f" (extrapolated from {minutes} minutes)"
    print(
        f"  {stats.bytes_written / max(stats.events, 1):.1f} gzip bytes/event, "
        f"~{stats.events / minutes * 1440:,.0f} events and ~{per_day / 1e6:,.1f} MB "
        f"per simulated day{scaled}"
    )
    if args.stages:
        _stages(gen, args.stages)
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
