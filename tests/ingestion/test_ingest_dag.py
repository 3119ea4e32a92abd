"""The ``ingest_events`` DAG end to end (``airflow dags test``), with its alerts.

Alerts go to a real local SMTP server (aiosmtpd) and a local HTTP endpoint standing in for
the Telegram Bot API; both are enabled through the same environment variables as production.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from ingest_world import World

from infra.stack.airflow import AIRFLOW_BIN, airflow_env
from socialpulse.ingestion.manifest import summary
from socialpulse.settings import Settings

pytestmark = [pytest.mark.stack, pytest.mark.slow]


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[_Mailbox, int]]:
    box = _Mailbox()
    with socket.socket() as probe:  # a free port (the Controller's ready check needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def telegram() -> Iterator[tuple[list[tuple[str, dict[str, Any]]], str]]:
    calls: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls.append((self.path, json.loads(body)))
            payload = b'{"ok": true, "result": {}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield calls, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _dags_test(settings: Settings, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **airflow_env(settings), **extra_env}
    return subprocess.run(
        [str(AIRFLOW_BIN), "dags", "test", "ingest_events"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _alert_env(mail_port: int, telegram_url: str) -> dict[str, str]:
    return {
        "ALERT_TELEGRAM_ENABLED": "true",
        "TELEGRAM_BOT_TOKEN": "123:test-token",
        "TELEGRAM_CHAT_ID": "-1001",
        "TELEGRAM_API_BASE_URL": telegram_url,
        "ALERT_EMAIL_ENABLED": "true",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail_port),
        "ALERT_EMAIL_FROM": "airflow@socialpulse.test",
        "ALERT_EMAIL_TO": "oncall@socialpulse.test, data@socialpulse.test",
        "INGEST_TASK_RETRIES": "0",
    }


def test_dag_run_loads_the_world_and_alerts_success(
    started_service: Callable[[str], Any],
    settings: Settings,
    make_world: Callable[..., World],
    clean_raw: str,
    mailbox: tuple[_Mailbox, int],
    telegram: tuple[list[tuple[str, dict[str, Any]]], str],
) -> None:
    started_service("airflow")
    world = make_world("dag", minutes=8, users=120, dirty=0.02)
    env = {
        **_alert_env(mailbox[1], telegram[1]),
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
    mailbox: tuple[_Mailbox, int],
    telegram: tuple[list[tuple[str, dict[str, Any]]], str],
) -> None:
    started_service("airflow")
    # Tasks see an unreachable warehouse (the Airflow metadata DB is configured separately).
    env = {**_alert_env(mailbox[1], telegram[1]), "POSTGRES_PORT": "1"}
    proc = _dags_test(settings, env)
    assert "failed" in (proc.stdout + proc.stderr).lower()
    ((_, body),) = telegram[0]
    assert "ingest_events FAILED" in body["text"]
    assert "migrate" in body["text"]
    (mail,) = mailbox[0].messages
    assert "ingest_events FAILED" in mail["Subject"]
