"""Telegram and e-mail notifiers on Airflow's ``BaseNotifier``; failures are logged, not raised."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

import httpx
from airflow.sdk.bases.notifier import BaseNotifier

from socialpulse.alerts import message
from socialpulse.alerts.config import AlertSettings, get_alert_settings

#: Extra lines for the message (e.g. row counts of the run), computed from the context.
Details = Callable[[Mapping[str, Any]], Mapping[str, Any]]


class _Notifier(BaseNotifier):
    """Builds the message; subclasses only deliver it."""

    channel = "?"

    def __init__(
        self, status: str, settings: AlertSettings | None = None, details: Details | None = None
    ) -> None:
        super().__init__()
        self.status = status
        self._settings = settings
        self.details = details

    @property
    def settings(self) -> AlertSettings:
        # Read at call time, not at DAG parse time, so configuration changes need no reparse.
        return self._settings or get_alert_settings()

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        # Nothing is templated here; skipping Jinja also avoids needing the DAG object's
        # template environment, which the serialized DAG of `dags test` does not have.
        return None

    def enabled(self) -> bool:
        raise NotImplementedError

    def notify(self, context: Any) -> None:
        if not self.enabled():
            return
        try:
            extra: Mapping[str, Any] = {}
            if self.details is not None:
                try:
                    extra = self.details(context)
                except Exception as exc:  # counts are a bonus; the alert must still go out
                    extra = {"details": f"unavailable ({exc})"}
            subject, body = message.build(context, self.status, extra, self.settings.airflow_ui_url)
            self.send(subject, body)
            self.log.info("%s alert sent: %s", self.channel, subject)
        except Exception as exc:  # never let alerting fail the DAG
            self.log.error("%s alert could not be sent: %s", self.channel, exc)

    def send(self, subject: str, body: str) -> None:
        raise NotImplementedError


class TelegramNotifier(_Notifier):
    """POST ``{base_url}/bot{token}/sendMessage`` with ``chat_id`` and ``text``."""

    channel = "telegram"

    def enabled(self) -> bool:
        return self.settings.alert_telegram_enabled

    def send(self, subject: str, body: str) -> None:
        s = self.settings
        url = f"{s.telegram_api_base_url.rstrip('/')}/bot{s.telegram_bot_token.get_secret_value()}/sendMessage"
        resp = httpx.post(
            url,
            json={"chat_id": s.telegram_chat_id, "text": body, "disable_web_page_preview": True},
            timeout=s.alert_timeout_seconds,
        )
        if resp.status_code != 200:
            # The token is in the URL: report the status and Telegram's description only.
            raise RuntimeError(f"Telegram answered {resp.status_code}: {resp.text[:200]}")


class EmailNotifier(_Notifier):
    """Plain-text mail through SMTP (optional STARTTLS and login)."""

    channel = "email"

    def enabled(self) -> bool:
        return self.settings.alert_email_enabled

    def send(self, subject: str, body: str) -> None:
        s = self.settings
        if not s.alert_email_to:
            raise RuntimeError("ALERT_EMAIL_TO is empty")
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = s.alert_email_from
        msg["To"] = ", ".join(s.alert_email_to)
        msg.set_content(body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.alert_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
            smtp.send_message(msg)


def callbacks(
    settings: AlertSettings | None = None, details: Details | None = None
) -> tuple[list[BaseNotifier], list[BaseNotifier]]:
    """``(on_success, on_failure)`` notifier lists for a DAG.

    Both channels are always attached and check their ``*_ENABLED`` flag when they fire, so
    enabling a channel needs no DAG reparse.
    """
    out: tuple[list[BaseNotifier], list[BaseNotifier]] = ([], [])
    for status, target in (("success", out[0]), ("failed", out[1])):
        target.append(TelegramNotifier(status, settings, details))
        target.append(EmailNotifier(status, settings, details))
    return out


def retry_callbacks(
    settings: AlertSettings | None = None, details: Details | None = None
) -> list[BaseNotifier]:
    """``on_retry_callback`` notifiers: a task whose dependency is down says so at once,
    not only after its last retry."""
    return [
        TelegramNotifier("retrying", settings, details),
        EmailNotifier("retrying", settings, details),
    ]
