"""Helpers for tests that run DAGs in-process next to the running standalone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from socialpulse.airflow_api import AirflowApi
from socialpulse.settings import Settings


@contextmanager
def scheduler_kept_off(settings: Settings, dag_id: str) -> Iterator[None]:
    """Pause ``dag_id`` in the running standalone while a test runs it with `dags test`.

    The scheduler only looks at runs of unpaused DAGs; left unpaused, it would pick up the
    in-process test run too and race it for the same task instances.
    """
    api = AirflowApi(settings)
    api.wait_for_dag(dag_id)
    was_paused = api.is_paused(dag_id)
    api.set_paused(dag_id, True)
    try:
        yield
    finally:
        api.set_paused(dag_id, was_paused)
