"""Service checks that Airflow tasks run (the stack_healthcheck DAG)."""

from __future__ import annotations

import logging

from infra.stack.registry import service
from socialpulse.settings import Settings

log = logging.getLogger(__name__)

# Airflow itself is the one running the check, so it is not in the list.
SERVICES_CHECKED = ("postgres", "minio", "clickhouse", "neo4j")


def check_service(name: str, settings: Settings | None = None) -> str:
    """Raise if ``name`` does not answer on its protocol; return its version otherwise."""
    svc = service(name, settings)
    if not svc.health():
        log.error("%s at %s is not healthy", name, svc.url)
        raise RuntimeError(f"{name} at {svc.url} is not healthy; run `make stack-up`")
    version = svc.version()
    log.info("%s %s healthy at %s", name, version, svc.url)
    return version
