"""The graph sidecar as a task of DAG ``transform``: when Neo4j is down it fails and alerts."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from alert_doubles import Mailbox, TelegramCalls, alert_env

from infra.stack.airflow import AIRFLOW_BIN, airflow_env
from socialpulse.settings import Settings
from socialpulse.transform.manifest import build_manifest
from socialpulse.transform.project import MANIFEST_PATH

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def test_graph_task_fails_and_alerts_when_neo4j_is_down(
    started_service: Callable[[str], Any],
    settings: Settings,
    mailbox: tuple[Mailbox, int],
    telegram: tuple[TelegramCalls, str],
) -> None:
    started_service("postgres")
    if not MANIFEST_PATH.exists():  # the DAG renders from it (make setup builds it)
        build_manifest()
    env = {
        **os.environ,
        **airflow_env(settings),
        **alert_env(mailbox[1], telegram[1]),
        "NEO4J_BOLT_PORT": "1",  # nothing listens there
        "POSTGRES_DB": "socialpulse_graph_test",  # keep the failed run out of the warehouse
    }
    logical_date = datetime.now(UTC).replace(microsecond=0).isoformat()
    proc = subprocess.run(
        [str(AIRFLOW_BIN), "tasks", "test", "transform", "graph_sync_and_rank", logical_date],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    # `tasks test` exits 0 whatever the task did; the state change is what counts. With
    # retries left the try ends up_for_retry (retry alert), on the last try failed.
    assert re.search(r"new_state=(failed|up_for_retry)", output), output[-3000:]
    assert "ServiceUnavailable" in output
    texts = [body["text"] for _, body in telegram[0]]
    assert any(
        re.search(r"transform (FAILED|RETRYING)", t) and "graph_sync_and_rank" in t for t in texts
    ), texts
    assert any(re.search("FAILED|RETRYING", m["Subject"]) for m in mailbox[0].messages)
