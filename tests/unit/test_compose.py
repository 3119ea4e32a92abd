"""docker-compose.yml stays in step with the native stack: services, ports, names, versions."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stack.neo4j import NEO4J_VERSION
from infra.stack.postgres import server_bin_dir
from infra.stack.registry import SERVICE_CLASSES
from socialpulse.alerts.config import AlertSettings
from socialpulse.ingestion.config import IngestSettings
from socialpulse.settings import REPO_ROOT, Settings

COMPOSE_TEXT = (REPO_ROOT / "docker-compose.yml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
ENV_EXAMPLE_KEYS = {
    line.split("=", 1)[0]
    for line in (REPO_ROOT / ".env.example").read_text().splitlines()
    if "=" in line and not line.lstrip().startswith("#")
}
SETTINGS_KEYS = {name.upper() for name in Settings.model_fields}
# Every variable any settings class of the project reads (alerts, ingestion included).
ALL_SETTINGS_KEYS = (
    SETTINGS_KEYS
    | {name.upper() for name in AlertSettings.model_fields}
    | {f"INGEST_{name.upper()}" for name in IngestSettings.model_fields}
)

# (compose service, settings field holding the host port, container port)
PUBLISHED_PORTS = [
    ("postgres", "POSTGRES_PORT", 5432),
    ("minio", "MINIO_PORT", 9000),
    ("minio", "MINIO_CONSOLE_PORT", 9001),
    ("clickhouse", "CLICKHOUSE_HTTP_PORT", 8123),
    ("clickhouse", "CLICKHOUSE_TCP_PORT", 9000),
    ("neo4j", "NEO4J_HTTP_PORT", 7474),
    ("neo4j", "NEO4J_BOLT_PORT", 7687),
    ("airflow", "AIRFLOW_PORT", 8080),
    ("dbt-docs", "DBT_DOCS_PORT", 8081),
]


def test_every_native_service_is_in_compose() -> None:
    assert set(SERVICE_CLASSES) <= set(SERVICES)


@pytest.mark.parametrize(("service", "variable", "container_port"), PUBLISHED_PORTS)
def test_ports_are_published_on_loopback_from_the_same_variables(
    service: str, variable: str, container_port: int
) -> None:
    assert variable in SETTINGS_KEYS
    assert f"127.0.0.1:${{{variable}}}:{container_port}" in SERVICES[service]["ports"]


def test_compose_uses_only_variables_listed_in_env_example() -> None:
    used = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", COMPOSE_TEXT))
    assert used, "compose should read its values from .env"
    assert used <= ENV_EXAMPLE_KEYS


def test_env_example_lists_every_service_setting_and_nothing_unknown() -> None:
    path_settings = {"SOCIALPULSE_STATE_DIR", "SOCIALPULSE_CACHE_DIR"}
    assert SETTINGS_KEYS - path_settings <= ENV_EXAMPLE_KEYS
    assert ENV_EXAMPLE_KEYS <= ALL_SETTINGS_KEYS


def test_container_environment_uses_settings_names() -> None:
    shared_env = COMPOSE["x-socialpulse-env"]
    assert set(shared_env) <= ALL_SETTINGS_KEYS


def test_long_running_services_have_healthchecks_and_wait_for_health() -> None:
    for name in SERVICE_CLASSES:
        assert "healthcheck" in SERVICES[name], name
    one_shot = {
        name
        for name, body in SERVICES.items()
        if "healthcheck" not in body and "restart" not in body
    }
    for name, body in SERVICES.items():
        for dependency, condition in (body.get("depends_on") or {}).items():
            expected = (
                "service_completed_successfully" if dependency in one_shot else "service_healthy"
            )
            assert condition["condition"] == expected, (name, dependency)


def test_image_versions_match_the_native_stack() -> None:
    neo4j_minor = ".".join(NEO4J_VERSION.split(".")[:2])
    assert SERVICES["neo4j"]["image"] == f"neo4j:{neo4j_minor}-community"
    chdb_minor = ".".join(importlib.metadata.version("chdb-core").split(".")[:2])
    assert SERVICES["clickhouse"]["image"] == f"clickhouse/clickhouse-server:{chdb_minor}"
    native_pg = server_bin_dir()
    assert native_pg is not None
    assert SERVICES["postgres"]["image"].startswith(f"postgres:{native_pg.parent.name}")


def test_airflow_image_is_built_from_the_lock_file() -> None:
    dockerfile = Path(REPO_ROOT / SERVICES["airflow"]["build"]["dockerfile"]).read_text()
    assert "uv sync --frozen" in dockerfile
