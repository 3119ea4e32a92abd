"""Which native services exist, in start order (dependencies first)."""

from __future__ import annotations

import importlib

from infra.stack.base import NativeService
from socialpulse.settings import Settings, get_settings

# name -> "module:Class"; imported lazily so one broken service never hides the others.
SERVICE_CLASSES: dict[str, str] = {
    "postgres": "infra.stack.postgres:PostgresService",
    "minio": "infra.stack.minio:MinioService",
    "clickhouse": "infra.stack.clickhouse:ClickHouseService",
    "neo4j": "infra.stack.neo4j:Neo4jService",
    "airflow": "infra.stack.airflow:AirflowService",
    "generator": "infra.stack.generator:GeneratorService",
    "dbt-docs": "infra.stack.dbt_docs:DbtDocsService",
}


def service(name: str, settings: Settings | None = None) -> NativeService:
    """The native service called ``name``."""
    try:
        target = SERVICE_CLASSES[name]
    except KeyError:
        raise KeyError(f"unknown service {name!r}; known: {', '.join(SERVICE_CLASSES)}") from None
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    instance: NativeService = cls(settings or get_settings())
    return instance
