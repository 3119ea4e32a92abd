"""Alerts for DAG runs: Telegram (Bot API) and e-mail (SMTP), each enabled by configuration.

Use :func:`callbacks` in a DAG::

    on_success, on_failure = callbacks(details=my_counts)
    @dag(..., on_success_callback=on_success, on_failure_callback=on_failure)

A notifier that cannot deliver logs an ERROR and returns: alerting never fails a DAG.
"""

from __future__ import annotations

from socialpulse.alerts.config import AlertSettings, get_alert_settings
from socialpulse.alerts.notifiers import (
    Details,
    EmailNotifier,
    TelegramNotifier,
    callbacks,
    retry_callbacks,
)

__all__ = [
    "AlertSettings",
    "Details",
    "EmailNotifier",
    "TelegramNotifier",
    "callbacks",
    "get_alert_settings",
    "retry_callbacks",
]
