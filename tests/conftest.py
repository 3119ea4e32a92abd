"""Session fixtures that start real services through the same stack code users run.

The suite runs on a stack of its own: the same five services, installed from the same cache,
but with their data under ``<state_dir>/test-stack`` and every port moved by
``SOCIALPULSE_TEST_PORT_OFFSET`` (default 1000). So ``make test`` beside a running pipeline
never reads or writes that pipeline's databases, objects, marts or DAG states
(``tests/stack/test_isolation.py`` proves it). A test service that is already running is
reused and left running, so the next ``make test`` is warm; ``make stack-down`` does not
stop it, ``make test-stack-down`` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from socialpulse.settings import Settings, get_settings, read_settings, test_stack_environment

#: The developer's own stack (what `make stack-up` and `make demo` run), before the move.
USER_SETTINGS = read_settings()
# Before anything reads settings: every fixture, subprocess and dbt run sees the test stack.
os.environ.update(test_stack_environment())
get_settings.cache_clear()

import pytest  # noqa: E402
from alert_doubles import mailbox, telegram  # noqa: E402, F401  (fixtures shared by all tests)

from infra.stack.base import NativeService  # noqa: E402
from infra.stack.clickhouse import ClickHouseService  # noqa: E402
from infra.stack.registry import service  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The test stack's settings."""
    return get_settings()


@pytest.fixture(scope="session")
def user_settings() -> Settings:
    """The developer's own stack's settings (only tests of the isolation itself use them)."""
    return USER_SETTINGS


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
