"""One consistent snapshot of raw per transform run.

A run covers the raw rows with ``load_ts_from < loaded_at <= load_ts_to``: ``load_ts_to`` is
taken when the run starts with ``raw.load_snapshot_bound()`` (migration 004: every row at or
below it is committed, every later row gets a later ``loaded_at``), ``load_ts_from`` is the
bound of the last run that completed. Every dbt model and test of the run gets both (as
environment variables in Airflow, :meth:`Snapshot.dbt_env`: vars that change every run would
make dbt parse the whole project again, ~25 s; as vars from the CLI), so hubs, links, satellites and marts see the same events whatever ingestion loads meanwhile,
and the next run picks up exactly where the last completed one stopped.

The bounds are recorded in ``raw.load_snapshots``: a retried task of the same run gets the
bounds it started with, and a failed run is never marked complete, so the next run covers
its rows again (every vault model is idempotent).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import psycopg

log = logging.getLogger(__name__)

#: The transform DAG's rows in raw.load_snapshots.
TRANSFORM = "transform"
#: How long a snapshot call waits for PostgreSQL to come back (a restart takes seconds). The
#: vault producer renders the snapshot before its build and Cosmos never retries a producer,
#: so failing here would leave every model of the run to re-run on its own worker.
WAIT_FOR_POSTGRES_S = 300.0

_T = TypeVar("_T")

_BEGIN_SQL = """
WITH last_completed AS (
    SELECT max(load_ts_to) AS load_ts_to FROM raw.load_snapshots
    WHERE consumer = %(consumer)s AND completed_at IS NOT NULL
)
INSERT INTO raw.load_snapshots (consumer, run_id, load_ts_from, load_ts_to)
SELECT %(consumer)s, %(run_id)s, last_completed.load_ts_to, raw.load_snapshot_bound()
FROM last_completed
ON CONFLICT (consumer, run_id) DO NOTHING
"""

_GET_SQL = """
SELECT load_ts_from, load_ts_to, completed_at FROM raw.load_snapshots
WHERE consumer = %(consumer)s AND run_id = %(run_id)s
"""


@dataclass(frozen=True)
class Snapshot:
    """The raw rows a run covers: ``load_ts_from < loaded_at <= load_ts_to``."""

    run_id: str
    load_ts_from: datetime | None
    load_ts_to: datetime
    completed_at: datetime | None = None

    def dbt_vars(self) -> dict[str, str | None]:
        """The vars every dbt model and test of the run filters on (ISO timestamps)."""
        return {
            "load_ts_from": self.load_ts_from.isoformat() if self.load_ts_from else None,
            "load_ts_to": self.load_ts_to.isoformat(),
        }

    def dbt_env(self) -> dict[str, str]:
        """The same bounds as the environment variables the dbt macros read when no var is
        given (``snapshot_bound``); an empty value is no bound."""
        return {
            f"SOCIALPULSE_{name.upper()}": value or "" for name, value in self.dbt_vars().items()
        }


def _get(conn: psycopg.Connection, run_id: str, consumer: str) -> Snapshot | None:
    row = conn.execute(_GET_SQL, {"consumer": consumer, "run_id": run_id}).fetchone()
    return None if row is None else Snapshot(run_id, row[0], row[1], row[2])


def _patiently(call: Callable[[psycopg.Connection], _T], dsn: str, wait_s: float) -> _T:
    """``call`` on a fresh autocommit connection, again while PostgreSQL is unreachable or
    restarting (every statement here is idempotent), for up to ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    delay = 1.0
    while True:
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
                return call(conn)
        except psycopg.OperationalError as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("PostgreSQL unavailable (%s); trying again in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 15.0)


def begin(
    dsn: str, run_id: str, consumer: str = TRANSFORM, wait_s: float = WAIT_FOR_POSTGRES_S
) -> Snapshot:
    """The run's snapshot: taken now, or the one it took before (a retried task)."""

    def take(conn: psycopg.Connection) -> Snapshot | None:
        conn.execute(_BEGIN_SQL, {"consumer": consumer, "run_id": run_id})
        return _get(conn, run_id, consumer)

    snapshot = _patiently(take, dsn, wait_s)
    if snapshot is None:  # pragma: no cover - the INSERT above or an earlier one wrote it
        raise RuntimeError(f"no snapshot recorded for {consumer} run {run_id}")
    log.info(
        "%s run %s covers raw rows loaded in (%s, %s]",
        consumer, run_id, snapshot.load_ts_from, snapshot.load_ts_to,
    )  # fmt: skip
    return snapshot


def run_env(run_id: str) -> dict[str, str]:
    """The dbt environment of a transform run (its snapshot, taken at the first call).

    The ``transform`` DAG renders its dbt tasks' ``env`` with this (a DAG macro): the vault's
    dbt build, which starts first, fixes the bound; the marts' build and any model re-run on
    a worker get the same one.
    """
    from socialpulse.settings import get_settings

    return begin(get_settings().warehouse_dsn, run_id).dbt_env()


def complete(
    dsn: str, run_id: str, consumer: str = TRANSFORM, wait_s: float = WAIT_FOR_POSTGRES_S
) -> Snapshot:
    """Mark the run's snapshot complete: the next run starts after its bound."""

    def mark(conn: psycopg.Connection) -> Snapshot | None:
        conn.execute(
            """UPDATE raw.load_snapshots SET completed_at = coalesce(completed_at, clock_timestamp())
               WHERE consumer = %(consumer)s AND run_id = %(run_id)s""",
            {"consumer": consumer, "run_id": run_id},
        )
        return _get(conn, run_id, consumer)

    snapshot = _patiently(mark, dsn, wait_s)
    if snapshot is None:
        raise RuntimeError(f"{consumer} run {run_id} never took a snapshot; nothing to complete")
    return snapshot
