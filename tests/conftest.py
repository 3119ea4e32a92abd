"""Session fixtures that start real services through the same stack code users run.

A service that is already running (e.g. after ``make stack-up``) is reused; one the tests
started is left running too, so the next ``make test`` is warm. ``make stack-down`` stops all.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alert_doubles import mailbox, telegram  # noqa: F401  (fixtures shared by all tests)

from infra.stack.base import NativeService
from infra.stack.clickhouse import ClickHouseService
from infra.stack.registry import service
from socialpulse.settings import Settings, get_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def started_service(settings: Settings) -> Callable[[str], NativeService]:
    """``started_service("minio")`` -> a healthy MinIO (started on first use in the session)."""
    started: dict[str, NativeService] = {}

    def _start(name: str) -> NativeService:
        if name not in started:
            svc = service(name, settings)
            svc.start()
            started[name] = svc
        return started[name]

    return _start


@pytest.fixture(scope="session")
def clickhouse(started_service: Callable[[str], NativeService]) -> ClickHouseService:
    """The running ClickHouse service (typed: its ``client()``, ``client(analyst=True)``)."""
    svc = started_service("clickhouse")
    assert isinstance(svc, ClickHouseService)
    return svc
