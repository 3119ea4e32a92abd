"""Checks that every service of the stack answers on its real protocol.

Operators trigger it after `make stack-up`; the smoke tests run it both with
`airflow dags test` and through the REST API of the running standalone.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from socialpulse.healthcheck import SERVICES_CHECKED, check_service


@dag(
    dag_id="stack_healthcheck",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=False,
    tags=["ops"],
)
def stack_healthcheck() -> None:
    for name in SERVICES_CHECKED:
        task(task_id=f"check_{name}", retries=2, retry_delay=timedelta(seconds=10))(check_service)(
            name
        )


stack_healthcheck()
