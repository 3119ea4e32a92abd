"""ClickHouse marts: full and incremental refresh times, dashboard query latency, server RSS.

Prints figures, asserts nothing on time. For each ``--events`` size: a generated world loaded
through the real ingestion pipeline into its own PostgreSQL database
(``socialpulse_marts_bench``), its vault built with dbt (``pg`` target), the graph job run
once under its own Neo4j labels (``BenchMarts_``) so PageRank is filled, then the marts built
with dbt (``ch`` target) under the ClickHouse prefix ``bench_`` (``bench_marts``, mirrors
``bench_raw_vault`` ...), never touching the real ``marts``:

* full refresh: ``dbt build --select tag:marts --full-refresh`` (models + tests) and
  ``dbt run`` of the same (models only), with per-model times from ``run_results.json`` and
  the ClickHouse server's peak RSS sampled meanwhile;
* incremental: ~1 % more events (more simulated minutes, same ingest path), vault increment,
  ``dbt build --select tag:marts``; then the two incremental marts are compared with a full
  rebuild of themselves (``EXCEPT`` both ways, every column but ``vault_load_ts``);
* dashboard queries over HTTP as the ``analyst`` user (median / p95 of ``--runs``).

    .venv/bin/python benchmarks/marts.py                       # 100k events (smoke)
    .venv/bin/python benchmarks/marts.py --events 1000000      # 1M
    .venv/bin/python benchmarks/marts.py --events 1000000 5000000 --keep
    .venv/bin/python benchmarks/marts.py --history 1000        # +1 minute on 1 vs 7 days
    .venv/bin/python benchmarks/marts.py --history 10000       # the full one (10k users)

``--history USERS``: a world of USERS users grown day by day; after 1 and after 7 days of
history, one simulated minute more, then the timed ``dbt build`` of the vault and of the
marts (landing tables, marts and their delta tests); prints both and the 7-day / 1-day ratio.

Everything it created (PostgreSQL database, ClickHouse databases, MinIO objects, Neo4j
nodes) is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from generator import runner, simulation, state
from generator.writer import MinioSink, ObjectWriter, minio_client
from infra.stack.clickhouse import ClickHouseService
from infra.stack.registry import service
from neo4j_jobs.config import GraphJobConfig
from neo4j_jobs.run import sync_and_rank
from socialpulse.settings import Settings, get_settings
from socialpulse.transform.marts import dbt_vars, drop_marts_databases
from socialpulse.transform.project import run_dbt
from socialpulse.transform.world import (
    ensure_database,
    history_runs,
    ingest_prefix,
    print_history_runs,
    remove_prefix,
)

DB = "socialpulse_marts_bench"
PREFIX = "bench_"
LABELS = "BenchMarts_"
MARTS_DB = f"{PREFIX}marts"
CHECK_DB = f"{PREFIX}marts_check"
INCREMENTAL = [
    "mart_platform_daily",
    "mart_ad_performance_daily",
    "mart_campaign_performance_daily",
    "mart_revenue_daily",
]

#: Typical dashboard queries ({db} = the marts database). "7 days" = the last 7 UTC days.
DASHBOARD: dict[str, str] = {
    "DAU/WAU trend": (
        "SELECT activity_date, dau, wau, dau_wau_ratio FROM {db}.mart_platform_daily "
        "ORDER BY activity_date"
    ),
    "top 20 users by PageRank": (
        "SELECT user_id, username, country, followers, pagerank, pagerank_rank "
        "FROM {db}.mart_user_profile WHERE pagerank IS NOT NULL "
        "ORDER BY pagerank DESC LIMIT 20"
    ),
    "communities by 7-day net growth": (
        "SELECT community_id, any(community_name) AS name, sum(net_member_growth) AS growth, "
        "argMax(members, activity_date) AS members_now, avg(engagement_ratio) AS engagement "
        "FROM {db}.mart_community_daily WHERE activity_date > today() - 7 "
        "GROUP BY community_id ORDER BY growth DESC LIMIT 20"
    ),
    "CTR by campaign, 7 days": (
        "SELECT campaign_id, any(objective) AS goal, sum(impressions) AS imps, "
        "sum(clicks) AS clicks_7d, sum(clicked_impressions) / imps AS ctr_7d "
        "FROM {db}.mart_campaign_performance_daily WHERE activity_date > today() - 7 "
        "GROUP BY campaign_id HAVING imps > 0 ORDER BY imps DESC"
    ),
    "revenue per currency": (
        "SELECT currency, sum(donation_amount) AS donations, "
        "sum(sponsorship_amount) AS sponsorships, sum(subscription_revenue) AS subscriptions, "
        "sum(total_revenue) AS total FROM {db}.mart_revenue_daily "
        "GROUP BY currency ORDER BY total DESC"
    ),
    "most discussed topics": (
        "SELECT discussion_rank, topic, comments, posts, reels, communities "
        "FROM {db}.mart_topics ORDER BY discussion_rank, topic LIMIT 20"
    ),
    "post virality top 100": (
        "SELECT post_id, author_id, created_at, views, unique_viewers, time_to_1000_views_s, "
        "shares, quotes, comments, reactions FROM {db}.mart_post_virality "
        "ORDER BY views DESC, post_id LIMIT 100"
    ),
}


@dataclass
class DbtRun:
    seconds: float
    models: dict[str, float] = field(default_factory=dict)
    tests: dict[str, float] = field(default_factory=dict)
    rss_peak: int | None = None
    rss_before: int | None = None

    @property
    def model_seconds(self) -> float:
        return sum(self.models.values())

    @property
    def test_seconds(self) -> float:
        return sum(self.tests.values())


class RssSampler:
    """Peak RSS of one process (the ClickHouse server), sampled every ``interval`` seconds."""

    def __init__(self, pid: int | None, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak: int | None = None
        self.before: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _rss(self) -> int | None:
        if self.pid is None:
            return None
        try:
            import psutil

            return int(psutil.Process(self.pid).memory_info().rss)
        except Exception:  # psutil missing, process gone or not ours: no figure
            return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            rss = self._rss()
            if rss is not None:
                self.peak = max(self.peak or 0, rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.before = self._rss()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


# --- the world ------------------------------------------------------------------------


class World:
    """A generated world in MinIO (private prefix) that can be extended minute by minute."""

    def __init__(self, settings: Settings, users: int, start: datetime, seed: int) -> None:
        self.settings = settings
        self.prefix = f"bench-marts-{uuid.uuid4().hex[:8]}/"
        self.gen = state.new_state(simulation.create_world(seed, start, users))
        self.writer = ObjectWriter(
            MinioSink(minio_client(settings), settings.minio_bucket, self.prefix)
        )
        self.minutes = 0
        self.events = 0

    def add(self, dsn: str, minutes: int) -> int:
        """Generate ``minutes`` more simulated minutes and ingest them; events generated."""
        stats = runner.backfill(self.gen, self.writer, minutes)
        self.writer.flush()
        ingest_prefix(dsn, self.prefix + "events/", settings=self.settings)
        self.minutes += stats.minutes
        self.events += stats.events
        return stats.events

    def close(self) -> None:
        self.writer.close()
        remove_prefix(self.prefix, settings=self.settings)


def _pg_count(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0


# --- dbt ------------------------------------------------------------------------------


def _results(target: Path) -> tuple[dict[str, float], dict[str, float]]:
    data = json.loads((target / "run_results.json").read_text())
    models: dict[str, float] = {}
    tests: dict[str, float] = {}
    for result in data["results"]:
        uid: str = result["unique_id"]
        if result["status"] not in ("success", "pass"):
            print(f"    ! {uid}: {result['status']} {result.get('message') or ''}")
        kind, name = uid.split(".")[0], uid.split(".")[2]
        if kind == "model":
            models[name] = float(result["execution_time"])
        elif kind == "test":
            tests[uid.split(".", 2)[2]] = float(result["execution_time"])
    return models, tests


def dbt_marts(args: list[str], target: Path, svc: ClickHouseService) -> DbtRun:
    """``dbt <args>`` on the ClickHouse target with the bench vars; times and peak RSS."""
    # the pid is read each time: the shared server may have been restarted meanwhile
    with RssSampler(svc.pid()) as rss:
        started = time.perf_counter()
        proc = run_dbt(
            [*args, *dbt_vars(PREFIX, DB)],
            target="ch",
            env={"POSTGRES_DB": DB},
            target_path=target,
            check=False,
        )
        seconds = time.perf_counter() - started
    models, tests = _results(target)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        print(f"    ! dbt {' '.join(args)} exited {proc.returncode}:\n{tail}")
    return DbtRun(seconds, models, tests, rss.peak, rss.before)


def dbt_vault(args: list[str], target: Path) -> float:
    started = time.perf_counter()
    run_dbt(["run", *args], env={"POSTGRES_DB": DB}, target_path=target)
    return time.perf_counter() - started


# --- ClickHouse -----------------------------------------------------------------------


def _mib(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:,.0f} MiB"


def mart_rows(ch: Client) -> dict[str, int]:
    rows = ch.query(
        "SELECT name, total_rows FROM system.tables WHERE database = {db:String} "
        "AND name LIKE 'mart\\_%' ORDER BY name",
        parameters={"db": MARTS_DB},
    ).result_rows
    return {str(name): int(n or 0) for name, n in rows}


def snapshot(ch: Client, table: str) -> None:
    ch.command(f"DROP TABLE IF EXISTS {CHECK_DB}.{table}")
    ch.command(f"CREATE TABLE {CHECK_DB}.{table} AS {MARTS_DB}.{table}")
    ch.command(f"INSERT INTO {CHECK_DB}.{table} SELECT * FROM {MARTS_DB}.{table}")


def compare(ch: Client, table: str) -> tuple[int, int, int, int]:
    """(incremental-only rows, rebuild-only rows, rows, rows whose vault_load_ts differs)."""
    cols = f"SELECT * EXCEPT (vault_load_ts) FROM {{}}.{table}"
    inc, full = cols.format(CHECK_DB), cols.format(MARTS_DB)
    only_inc = ch.query(f"SELECT count() FROM ({inc} EXCEPT {full})").result_rows[0][0]
    only_full = ch.query(f"SELECT count() FROM ({full} EXCEPT {inc})").result_rows[0][0]
    rows = ch.query(f"SELECT count() FROM {MARTS_DB}.{table}").result_rows[0][0]
    ts = ch.query(
        f"SELECT count() FROM (SELECT * FROM {CHECK_DB}.{table} "
        f"EXCEPT SELECT * FROM {MARTS_DB}.{table})"
    ).result_rows[0][0]
    return int(only_inc), int(only_full), int(rows), int(ts) - int(only_inc)


def dashboard_client(svc: ClickHouseService) -> tuple[Client, str]:
    """The analyst if it may read the bench marts, else the pipeline user with readonly=1."""
    analyst = svc.client(analyst=True)
    try:
        analyst.query(f"SELECT 1 FROM {MARTS_DB}.mart_topics LIMIT 1")
        return analyst, "analyst"
    except DatabaseError:
        analyst.close()
    client = svc.client(settings={"readonly": 1})
    return client, f"{svc.settings.clickhouse_user} (readonly=1: analyst may not read {MARTS_DB})"


def latency(client: Client, runs: int) -> list[tuple[str, float, float, int]]:
    out = []
    for name, query in DASHBOARD.items():
        q = query.format(db=MARTS_DB)
        rows = len(client.query(q).result_rows)  # warm-up (and the row count)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.query(q)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        out.append((name, statistics.median(times), p95, rows))
    return out


# --- report ---------------------------------------------------------------------------


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """A plain text table: first column left-aligned, the others right-aligned."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  " + "  ".join([first, *rest])

    print(fmt(headers))
    print("  " + "  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))


def cleanup(settings: Settings, ch: Client) -> None:
    drop_marts_databases(ch, PREFIX)
    ch.command(f"DROP DATABASE IF EXISTS {CHECK_DB} SYNC")
    with psycopg.connect(settings.postgres_dsn("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))


def wipe_graph(settings: Settings, config: GraphJobConfig) -> None:
    from neo4j import GraphDatabase

    from neo4j_jobs.graph import GraphStore

    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        GraphStore(driver, config).remove()


def bench_size(
    events: int,
    users: int,
    runs: int,
    keep: bool,
    settings: Settings,
    svc: ClickHouseService,
    ch: Client,
) -> None:
    print(f"\n=== {events:,} events, {users:,} users " + "=" * 40)
    dsn = ensure_database(DB, settings, fresh=True)
    # The world starts 3 days ago, so "last 7 days" covers it all; at events/500 users 1M
    # events are about a simulated day. Events from the future would be rejected, so the
    # load stops before reaching now (the +1 % increment needs room too).
    start = (datetime.now(UTC) - timedelta(days=3)).replace(second=0, microsecond=0)
    world = World(settings, users, start, seed=11)
    graph = GraphJobConfig(dsn=dsn, label_prefix=LABELS, lookback=timedelta(0))
    # dbt artifacts (run_results.json, compiled SQL, logs): never dbt_project/target
    target = Path(tempfile.mkdtemp(prefix="bench-marts-dbt-"))
    try:
        t0 = time.perf_counter()
        while world.events < events:
            if start + timedelta(minutes=world.minutes + 60) > datetime.now(UTC):
                print(f"  stopped at {world.events:,} events: the next minutes are in the future")
                break
            world.add(dsn, 30)
        raw = _pg_count(dsn, "SELECT count(*) FROM raw.events")
        load_s = time.perf_counter() - t0
        print(
            f"generated + ingested {world.events:,} events ({world.minutes} simulated minutes, "
            f"{raw:,} raw rows) in {load_s:.0f} s"
        )
        vault_s = dbt_vault(["--full-refresh"], target)
        print(f"vault (dbt run --full-refresh, pg): {vault_s:.0f} s")
        g = sync_and_rank(settings, graph, full=True)
        print(
            f"graph job (Neo4j sync + PageRank + depth): {g['total_seconds']:.0f} s, "
            f"{g.get('users', 0):,} users"
        )

        # (a) full refresh
        build = dbt_marts(["build", "--select", "tag:marts", "--full-refresh"], target, svc)
        run = dbt_marts(["run", "--select", "tag:marts", "--full-refresh"], target, svc)
        rows = mart_rows(ch)

        # (b) incremental after ~1 % more events
        extra_minutes = max(1, round(world.minutes / 100))
        added = world.add(dsn, extra_minutes)
        vault_inc_s = dbt_vault([], target)
        inc = dbt_marts(["build", "--select", "tag:marts"], target, svc)
        noop = dbt_marts(["run", "--select", *INCREMENTAL], target, svc)
        ch.command(f"CREATE DATABASE IF NOT EXISTS {CHECK_DB}")
        for table in INCREMENTAL:
            snapshot(ch, table)
        rebuild = dbt_marts(["run", "--select", *INCREMENTAL, "--full-refresh"], target, svc)
        checks = {table: compare(ch, table) for table in INCREMENTAL}

        print(f"\n(a) full refresh of the marts ({len(run.models)} models, dbt 4 threads)")
        print_table(
            ["step", "wall s", "models s", "tests s", "CH RSS before", "CH RSS peak"],
            [
                [
                    label,
                    f"{r.seconds:.1f}",
                    f"{r.model_seconds:.1f}",
                    f"{r.test_seconds:.1f}" if r.tests else "-",
                    _mib(r.rss_before),
                    _mib(r.rss_peak),
                ]
                for label, r in (("build --full-refresh", build), ("run --full-refresh", run))
            ],
        )
        print(
            "\n  per model (seconds in run --full-refresh, build --full-refresh, incremental build)"
        )
        print_table(
            ["model", "rows", "run s", "build s", "incremental s"],
            [
                [
                    name,
                    f"{rows.get(name, 0):,}",
                    f"{secs:.1f}",
                    f"{build.models.get(name, 0):.1f}",
                    f"{inc.models.get(name, 0):.1f}",
                ]
                for name, secs in sorted(run.models.items(), key=lambda kv: -kv[1])
            ],
        )
        slow_tests = sorted(build.tests.items(), key=lambda kv: -kv[1])[:5]
        print(f"\n  tests: {len(build.tests)}, {build.test_seconds:.1f} s in all; slowest:")
        for name, secs in slow_tests:
            print(f"    {secs:6.1f} s  {name}")

        print(
            f"\n(b) incremental: +{added:,} events ({extra_minutes} simulated minutes, "
            f"{100 * added / max(1, world.events - added):.1f} %); vault increment "
            f"{vault_inc_s:.0f} s"
        )
        print_table(
            ["step", "wall s", "models s", "tests s"],
            [
                [
                    "build tag:marts (incremental)",
                    f"{inc.seconds:.1f}",
                    f"{inc.model_seconds:.1f}",
                    f"{inc.test_seconds:.1f}",
                ],
                [
                    "run 2 incremental marts, nothing new",
                    f"{noop.seconds:.1f}",
                    f"{noop.model_seconds:.1f}",
                    "-",
                ],
                [
                    "run 2 incremental marts --full-refresh",
                    f"{rebuild.seconds:.1f}",
                    f"{rebuild.model_seconds:.1f}",
                    "-",
                ],
            ],
        )
        for table, (only_inc, only_full, n, ts) in checks.items():
            verdict = "OK" if only_inc == only_full == 0 else "MISMATCH"
            print(
                f"  {table}: incremental vs full rebuild {verdict} ({n:,} rows; "
                f"{only_inc} only incremental, {only_full} only rebuild; "
                f"{ts:,} rows differ in vault_load_ts only)"
            )

        client, who = dashboard_client(svc)
        try:
            print(f"\n(c) dashboard queries over HTTP as {who}, {runs} runs each")
            print_table(
                ["query", "median ms", "p95 ms", "rows"],
                [
                    [name, f"{med:.1f}", f"{p95:.1f}", f"{n:,}"]
                    for name, med, p95, n in latency(client, runs)
                ],
            )
        finally:
            client.close()
    finally:
        world.close()
        if keep:
            print(f"  (dbt artifacts kept in {target})")
        else:
            shutil.rmtree(target, ignore_errors=True)
        try:
            wipe_graph(settings, graph)
        except Exception as exc:  # Neo4j down: nothing of ours to wipe
            print(f"  (could not wipe the {LABELS} graph: {exc})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, nargs="+", default=[100_000], help="world sizes (events)"
    )
    parser.add_argument("--users", type=int, default=0, help="world size (default events/500)")
    parser.add_argument("--runs", type=int, default=20, help="runs of each dashboard query")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument(
        "--history", type=int, metavar="USERS", help="time +1 minute on 1 and 7 days of history"
    )
    args = parser.parse_args()
    settings = get_settings()
    svc = service("clickhouse", settings)
    assert isinstance(svc, ClickHouseService)
    ch = svc.client()
    if args.history:
        print(f"dbt build for +1 minute, {args.history:,} users, 1 and 7 days of history:")
        try:
            with tempfile.TemporaryDirectory(prefix="bench-marts-") as tmp:
                runs = history_runs(
                    DB, users=args.history, marts_prefix=PREFIX, target_path=Path(tmp)
                )
            print_history_runs(runs)
        finally:
            if not args.keep:
                cleanup(settings, ch)
            ch.close()
        return
    try:
        for events in args.events:
            users = args.users or max(300, events // 500)
            bench_size(events, users, args.runs, args.keep, settings, svc, ch)
            if not args.keep and events != args.events[-1]:
                cleanup(settings, ch)
    finally:
        if not args.keep:
            cleanup(settings, ch)
        ch.close()


if __name__ == "__main__":
    main()
