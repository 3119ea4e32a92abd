"""Build the vault outside Airflow (demo, CLI) and summarise what it holds."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from socialpulse.settings import Settings, get_settings
from socialpulse.transform.project import run_dbt

log = logging.getLogger(__name__)

LAYERS = ("raw_vault", "business_vault")


@dataclass
class VaultSummary:
    seconds: float
    #: "schema.table" -> rows
    rows: dict[str, int] = field(default_factory=dict)

    def count(self, prefix: str) -> int:
        """Tables whose name starts with ``prefix`` (e.g. ``raw_vault.hub_``)."""
        return sum(1 for name in self.rows if name.startswith(prefix))


def vault_rows(dsn: str) -> dict[str, int]:
    """Row count of every table in the vault schemas."""
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' ORDER BY 1",
            (list(LAYERS),),
        ).fetchall()
        rows: dict[str, int] = {}
        for (table,) in tables:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            rows[table] = int(row[0]) if row else 0
    return rows


def build_vault(settings: Settings | None = None, *, full_refresh: bool = False) -> VaultSummary:
    """``dbt build`` of staging + raw vault + business vault (models and their tests)."""
    s = settings or get_settings()
    started = time.perf_counter()
    run_dbt(["build", *(["--full-refresh"] if full_refresh else [])], settings=s)
    summary = VaultSummary(time.perf_counter() - started, vault_rows(s.warehouse_dsn))
    log.info(
        "vault built in %.0f s: %d hubs, %d links, %d satellites, %d business vault tables",
        summary.seconds,
        summary.count("raw_vault.hub_"),
        summary.count("raw_vault.link_"),
        summary.count("raw_vault.sat_") + summary.count("raw_vault.eff_sat_"),
        summary.count("business_vault."),
    )
    return summary


#: Functions that read the wall clock (PostgreSQL and ClickHouse spellings).
WALL_CLOCK = re.compile(
    r"\b(now|now64|today|yesterday|clock_timestamp|statement_timestamp|transaction_timestamp"
    r"|timeofday|nowInBlock|UTCTimestamp|current_timestamp|localtimestamp)\s*\("
    r"|\b(current_date|current_time|current_timestamp|localtime|localtimestamp)\b",
    re.IGNORECASE,
)
SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
SQL_STRING = re.compile(r"'(?:[^']|'')*'")


def wall_clock_reads(compiled_dir: Path) -> dict[str, list[str]]:
    """Compiled model/test files (under dbt's ``compiled`` dir) that call a wall-clock function."""
    found: dict[str, list[str]] = {}
    for path in sorted(compiled_dir.rglob("*.sql")):
        code = SQL_STRING.sub("''", SQL_COMMENT.sub("", path.read_text()))
        hits = [m.group(0) for m in WALL_CLOCK.finditer(code)]
        if hits:
            found[str(path.relative_to(compiled_dir))] = hits
    return found
