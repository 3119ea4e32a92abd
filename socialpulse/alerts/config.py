"""Alert channels and credentials, from the environment (names as in ``.env.example``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from socialpulse.settings import _env_file


class AlertSettings(BaseSettings):
    """``ALERT_*``, ``TELEGRAM_*`` and ``SMTP_*`` variables; both channels off by default."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    alert_telegram_enabled: bool = False
    telegram_bot_token: SecretStr = SecretStr("")
    telegram_chat_id: str = ""
    #: Override to test against a local endpoint (the path ``/bot<token>/sendMessage`` is added).
    telegram_api_base_url: str = "https://api.telegram.org"

    alert_email_enabled: bool = False
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    alert_email_from: str = "socialpulse@localhost"
    alert_email_to: Annotated[list[str], NoDecode] = Field(default_factory=list)

    #: Seconds to wait for Telegram or the SMTP server before giving up (and logging).
    alert_timeout_seconds: float = 10.0
    #: Base URL of the Airflow UI, for the link to the run in each message.
    airflow_ui_url: str = ""

    @field_validator("alert_email_to", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


def get_alert_settings() -> AlertSettings:
    return AlertSettings(_env_file=_env_file())  # type: ignore[call-arg]
