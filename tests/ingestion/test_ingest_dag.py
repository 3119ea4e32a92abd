"""The ``ingest_events`` DAG end to end (``airflow dags test``), with its alerts.

Alerts go to a real local SMTP server (aiosmtpd) and a local HTTP endpoint standing in for
the Telegram Bot API; both are enabled through the same environment variables as production.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from airflow_helpers import scheduler_kept_off
from alert_doubles import Mailbox, alert_env
from ingest_world import World

from infra.stack.airflow import AIRFLOW_BIN, airflow_env
from socialpulse.ingestion.manifest import summary
from socialpulse.settings import Settings

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def _dags_test(settings: Settings, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **airflow_env(settings), **extra_env}
    with scheduler_kept_off(settings, "ingest_events"):
        return subprocess.run(
            [str(AIRFLOW_BIN), "dags", "test", "ingest_events"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def test_dag_run_loads_the_world_and_alerts_success(
    started_service: Callable[[str], Any],
    settings: Settings,
    make_world: Callable[..., World],
    clean_raw: str,
    mailbox: tuple[Mailbox, int],
    telegram: tuple[list[tuple[str, dict[str, Any]]], str],
) -> None:
    started_service("airflow")
    world = make_world("dag", minutes=8, users=120, dirty=0.02)
    env = {
        **alert_env(mailbox[1], telegram[1]),
        "INGEST_TASK_RETRIES": "0",
        "INGEST_BUCKET": world.bucket,
        "INGEST_PREFIX": world.prefix,
    }
    proc = _dags_test(settings, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with psycopg.connect(clean_raw) as conn:
        totals = summary(conn, world.root)
    assert totals["files"] == world.stats.objects
    assert totals["rows_read"] == (
        totals["rows_loaded"] + totals["rows_rejected"] + totals["rows_duplicate"]
    )
    assert totals["rows_loaded"] >= world.stats.events
    ((path, body),) = telegram[0]
    assert path == "/bot123:test-token/sendMessage"
    assert body["chat_id"] == "-1001"
    assert "ingest_events SUCCESS" in body["text"]
    assert f"loaded={totals['rows_loaded']}" in body["text"]
    (mail,) = mailbox[0].messages
    assert "ingest_events SUCCESS" in mail["Subject"]
    assert mail["To"] == "oncall@socialpulse.test, data@socialpulse.test"


def test_dag_failure_is_alerted_with_the_failed_task(
    started_service: Callable[[str], Any],
    settings: Settings,
    warehouse: str,
    mailbox: tuple[Mailbox, int],
    telegram: tuple[list[tuple[str, dict[str, Any]]], str],
) -> None:
    started_service("airflow")
    # Tasks see an unreachable warehouse (the Airflow metadata DB is configured separately).
    env = {**alert_env(mailbox[1], telegram[1]), "INGEST_TASK_RETRIES": "0", "POSTGRES_PORT": "1"}
    proc = _dags_test(settings, env)
    assert "failed" in (proc.stdout + proc.stderr).lower()
    ((_, body),) = telegram[0]
    assert "ingest_events FAILED" in body["text"]
    assert "discover" in body["text"]  # migrations run in discover
    (mail,) = mailbox[0].messages
    assert "ingest_events FAILED" in mail["Subject"]
