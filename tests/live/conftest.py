"""The live pipeline through the test stack's real scheduler (tests/support/live.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.live import MINUTES, PREFIX, LiveWarehouse, reset_warehouse

from socialpulse.airflow_api import AirflowApi
from socialpulse.settings import Settings
from socialpulse.transform.world import remove_prefix


@pytest.fixture(scope="module")
def live(
    started_service: Callable[[str], Any], settings: Settings, clickhouse: Any
) -> Iterator[LiveWarehouse]:
    for name in ("postgres", "minio", "neo4j", "airflow"):
        started_service(name)
    reset_warehouse(settings, clickhouse.client())
    remove_prefix(PREFIX, settings=settings)
    api = AirflowApi(settings)
    api.wait_for_dag("transform")
    api.unpause("transform")
    warehouse = LiveWarehouse(settings, api)
    start = (datetime.now(UTC) - timedelta(minutes=MINUTES + 30)).replace(second=0, microsecond=0)
    warehouse.generate(start=start)
    yield warehouse
    api.set_paused("transform", True)
    remove_prefix(PREFIX, settings=settings)
