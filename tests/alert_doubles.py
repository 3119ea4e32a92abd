"""Test doubles for the alert channels (the only services outside our control).

A real local SMTP server (aiosmtpd) and a local HTTP endpoint that records Bot API calls,
enabled through the same environment variables as production (``alert_env``).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

TelegramCalls = list[tuple[str, dict[str, Any]]]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
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
def telegram() -> Iterator[tuple[TelegramCalls, str]]:
    calls: TelegramCalls = []

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


def alert_env(mail_port: int, telegram_url: str) -> dict[str, str]:
    """Both alert channels on, pointed at the doubles."""
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
    }
