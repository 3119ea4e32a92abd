"""Whose fault is a failure: a service's (retry the task) or the object's (quarantine it)?

A stage task fails only when a service is unreachable or failing (MinIO, PostgreSQL, the
local disk): Airflow retries it and it recovers. Anything else that goes wrong with one
object (a bug it triggers, a limit of PostgreSQL it hits, a worker it kills) would go
wrong on every retry, so the object is quarantined as ``unprocessable_object`` with the
error as detail, and the run goes on without it.
"""

from __future__ import annotations

import psycopg
import psycopg.errors

from socialpulse.ingestion.reader import SourceError


def is_service_failure(exc: BaseException) -> bool:
    """True when retrying later may succeed: the failure is a service's, not the data's."""
    from minio.error import MinioException
    from urllib3.exceptions import HTTPError

    if isinstance(exc, psycopg.errors.ProgramLimitExceeded):
        return False  # e.g. a value too large for an index: the same on every retry
    return isinstance(
        exc,
        (
            SourceError,  # MinIO unreachable or failing mid-read (see reader, work)
            psycopg.OperationalError,  # connection lost, shutdown, deadlock, out of resources
            psycopg.InterfaceError,  # connection closed under us
            MinioException,
            HTTPError,  # urllib3: connection refused, reset, timed out
            OSError,  # sockets, and the local disk the artefacts are staged on
        ),
    )


def describe(stage: str, exc: BaseException) -> str:
    """The quarantine detail of an object a stage could not process."""
    return f"{stage}: {type(exc).__name__}: {exc}"[:1000]
