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
from socialpulse.airflow_api import AirflowApi, AirflowApiError
from socialpulse.settings import Settings, get_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


#: DAGs the scheduler runs on its own that write the warehouse the tests truncate. On a
#: developer's stack `make demo` leaves them unpaused, and a scheduled ingest_events run
#: then reloads the demo's files while a test empties the raw tables (seen: a deadlock).
SCHEDULED_WAREHOUSE_DAGS = ("ingest_events", "transform")


def _pause_scheduled_dags(settings: Settings) -> Callable[[], None]:
    """Pause the scheduled warehouse DAGs for the session; returns the undo. A DAG the
    dag-processor has not parsed yet is new, and new DAGs start paused."""
    api = AirflowApi(settings)
    unpaused = []
    for dag_id in SCHEDULED_WAREHOUSE_DAGS:
        try:
            paused = api.is_paused(dag_id)
        except AirflowApiError:
            continue
        if not paused:
            api.set_paused(dag_id, True)
            unpaused.append(dag_id)

    def restore() -> None:
        # A new client: the session's token may have expired by the end of the run.
        for dag_id in unpaused:
            AirflowApi(settings).set_paused(dag_id, False)

    return restore


@pytest.fixture(scope="session")
def started_service(
    settings: Settings, request: pytest.FixtureRequest
) -> Callable[[str], NativeService]:
    """``started_service("minio")`` -> a healthy MinIO (started on first use in the session)."""
    started: dict[str, NativeService] = {}

    def _start(name: str) -> NativeService:
        if name not in started:
            svc = service(name, settings)
            svc.start()
            started[name] = svc
            if name == "airflow":
                request.addfinalizer(_pause_scheduled_dags(settings))
        return started[name]

    return _start


@pytest.fixture(scope="session")
def clickhouse(started_service: Callable[[str], NativeService]) -> ClickHouseService:
    """The running ClickHouse service (typed: its ``client()``, ``client(analyst=True)``)."""
    svc = started_service("clickhouse")
    assert isinstance(svc, ClickHouseService)
    return svc
