"""Vault build time from N raw events: full build, then incremental after +1 simulated minute.

Generates a world with the generator, loads it through the real ingestion pipeline into
its own database (``socialpulse_bench_vault``, re-created unless ``--reuse``), then times
``dbt run`` of staging + raw vault + business vault. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/vault.py                      # ~200k raw events (quick)
    .venv/bin/python benchmarks/vault.py --events 1000000     # 1M  (~15 min of loading)
    .venv/bin/python benchmarks/vault.py --events 5000000     # 5M  (an hour+ of loading)
    .venv/bin/python benchmarks/vault.py --reuse              # keep the loaded raw data
    .venv/bin/python benchmarks/vault.py --history 1000       # +1 minute on 1 vs 7 days
    .venv/bin/python benchmarks/vault.py --history 10000      # the full one (10k users)

``--history USERS`` grows a world of USERS users day by day (real ingestion) and times the
``dbt build`` of the vault (models + delta tests) for one minute of new events on top of 1 day
and on top of 7 days of history, and prints their ratio (target <= 1.3: a run's cost follows
the delta, not the history).

Measured on the 2-core dev box while other jobs ran (pessimistic): 200,755 raw events load
in 96 s; full build 65 s; incremental with nothing new 69 s; +1 minute (41 events) 67 s.
At this size a run is dbt's per-model overhead (~170 models), not data volume.

dbt's own overhead (~170 models, a few seconds of parsing, one query per model) is a fixed
part of every run; it dominates small increments, so incremental time is roughly the floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from generator import runner, simulation, state
from generator.writer import MinioSink, ObjectWriter, minio_client
from socialpulse.settings import get_settings
from socialpulse.transform.project import run_dbt
from socialpulse.transform.world import (
    ensure_database,
    history_runs,
    ingest_prefix,
    print_history_runs,
    remove_prefix,
)

DB = "socialpulse_bench_vault"


def _raw_events(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT count(*) FROM raw.events").fetchone()[0])  # type: ignore[index]


def _vault_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw_vault', 'business_vault') AND table_type = 'BASE TABLE'"
        ).fetchall()
        total = 0
        for (table,) in tables:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            total += int(row[0]) if row else 0
        return total


def _timed_run(label: str, args: list[str], target: Path, dsn: str, events: int) -> float:
    before = _vault_rows(dsn) if "--full-refresh" not in args else 0
    started = time.perf_counter()
    run_dbt(["run", *args], env={"POSTGRES_DB": DB}, target_path=target)
    seconds = time.perf_counter() - started
    added = _vault_rows(dsn) - before
    print(
        f"  {label:<34} {seconds:7.1f} s   {events / seconds:>9,.0f} raw events/s   "
        f"+{added:,} vault rows"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="raw events to load")
    parser.add_argument("--users", type=int, default=0, help="world size (default events/200)")
    parser.add_argument("--reuse", action="store_true", help="keep loaded raw data if present")
    parser.add_argument(
        "--history", type=int, metavar="USERS", help="time +1 minute on 1 and 7 days of history"
    )
    args = parser.parse_args()
    settings = get_settings()
    if args.history:
        print(f"dbt build (vault) for +1 minute, {args.history:,} users, 1 and 7 days of history:")
        with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
            print_history_runs(history_runs(DB, users=args.history, target_path=Path(tmp)))
        return
    users = args.users or max(300, args.events // 200)

    dsn = ensure_database(DB, settings, fresh=not args.reuse)
    client = minio_client(settings)
    prefix = f"bench-vault-{uuid.uuid4().hex[:8]}/"
    start = (datetime.now(UTC) - timedelta(days=30)).replace(second=0, microsecond=0)
    gen = state.new_state(simulation.create_world(11, start, users))
    writer = ObjectWriter(MinioSink(client, settings.minio_bucket, prefix))
    try:
        loaded = _raw_events(dsn)
        started = time.perf_counter()
        if loaded < args.events:
            print(f"loading ~{args.events:,} events ({users:,} users) into {DB} ...")
            generated = 0
            while generated < args.events:
                stats = runner.backfill(gen, writer, 30)
                generated += stats.events
                ingest_prefix(dsn, prefix + "events/", settings=settings)
            loaded = _raw_events(dsn)
            print(f"  loaded {loaded:,} raw events in {time.perf_counter() - started:.0f} s")
        else:
            print(f"reusing {loaded:,} raw events in {DB}")

        with tempfile.TemporaryDirectory(prefix="bench-dbt-") as tmp:
            target = Path(tmp)
            run_dbt(["parse"], env={"POSTGRES_DB": DB}, target_path=target)
            print(f"vault build from {loaded:,} raw events (dbt run, profile threads):")
            _timed_run("full (--full-refresh)", ["--full-refresh"], target, dsn, loaded)
            _timed_run("incremental, nothing new", [], target, dsn, loaded)
            stats = runner.backfill(gen, writer, 1)
            ingest_prefix(dsn, prefix + "events/", settings=settings)
            print(f"  (+1 simulated minute: {stats.events:,} new raw events)")
            _timed_run("incremental, +1 minute", [], target, dsn, loaded)
    finally:
        writer.close()
        remove_prefix(prefix, settings=settings)


if __name__ == "__main__":
    main()
