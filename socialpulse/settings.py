"""One settings object for every endpoint and credential.

Values come from the process environment first, then from the repo's ``.env`` file
(created by ``socialpulse init-env`` from ``.env.example``). The same names are used by
``docker-compose.yml`` so the native stack and the containers are configured alike.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env_file() -> Path:
    return Path(os.environ.get("SOCIALPULSE_ENV_FILE", REPO_ROOT / ".env"))


#: Set in the environment of a process already moved to a side stack (tests, benchmarks).
SIDE_STACK_MARKER = "SOCIALPULSE_SIDE_STACK"


class Settings(BaseSettings):
    """Every endpoint, credential and path the project uses (env names = compose names)."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    # paths
    socialpulse_state_dir: Path = Field(default=REPO_ROOT / ".state")
    socialpulse_cache_dir: Path = Field(default=Path.home() / ".cache" / "socialpulse")

    # PostgreSQL: one cluster, a warehouse database and an Airflow metadata database
    postgres_host: str = "127.0.0.1"
    postgres_port: int = 5432
    postgres_user: str = "socialpulse"
    postgres_password: SecretStr = SecretStr("")
    postgres_db: str = "socialpulse"
    airflow_db: str = "airflow"

    # MinIO
    minio_host: str = "127.0.0.1"
    minio_port: int = 9000
    minio_console_port: int = 9001
    minio_root_user: str = "socialpulse"
    minio_root_password: SecretStr = SecretStr("")
    minio_bucket: str = "social-events"

    # ClickHouse: a pipeline user with full rights and a read-only analyst user
    clickhouse_host: str = "127.0.0.1"
    clickhouse_http_port: int = 8123
    clickhouse_tcp_port: int = 19000
    clickhouse_user: str = "socialpulse"
    clickhouse_password: SecretStr = SecretStr("")
    clickhouse_analyst_user: str = "analyst"
    clickhouse_analyst_password: SecretStr = SecretStr("")

    # Neo4j (+ Graph Data Science)
    neo4j_host: str = "127.0.0.1"
    neo4j_bolt_port: int = 7687
    neo4j_http_port: int = 7474
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")

    # Airflow
    airflow_host: str = "127.0.0.1"
    airflow_port: int = 8080
    airflow_admin_user: str = "admin"
    airflow_admin_password: SecretStr = SecretStr("")
    airflow_parallelism: int = 4

    # The live generator (one minute file per wall-clock minute) and the dbt docs site
    generator_world: str = "live"
    generator_users: int = 2000
    generator_seed: int = 7
    generator_dirty_rate: float = 0.01
    generator_minute_seconds: float = 60.0
    dbt_docs_host: str = "127.0.0.1"
    dbt_docs_port: int = 8081

    def as_env(self) -> dict[str, str]:
        """These settings as the environment variables they are read from (for a child
        process that must see exactly these values, whatever .env says)."""
        env = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            env[name.upper()] = (
                value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            )
        return env

    @property
    def cache_dir(self) -> Path:
        return self.socialpulse_cache_dir

    @property
    def state_dir(self) -> Path:
        return self.socialpulse_state_dir

    @property
    def warehouse_dsn(self) -> str:
        return self.postgres_dsn(self.postgres_db)

    def postgres_dsn(self, database: str) -> str:
        return (
            f"postgresql://{self.postgres_user}:{self.postgres_password.get_secret_value()}"
            f"@{self.postgres_host}:{self.postgres_port}/{database}"
        )

    @property
    def minio_endpoint(self) -> str:
        return f"{self.minio_host}:{self.minio_port}"

    @property
    def neo4j_uri(self) -> str:
        return f"bolt://{self.neo4j_host}:{self.neo4j_bolt_port}"

    @property
    def airflow_url(self) -> str:
        return f"http://{self.airflow_host}:{self.airflow_port}"

    @property
    def dbt_docs_url(self) -> str:
        return f"http://{self.dbt_docs_host}:{self.dbt_docs_port}"


def side_stack_environment(name: str, offset_variable: str, default_offset: int) -> dict[str, str]:
    """Environment variables that point every setting at a stack beside the developer's.

    Every ``*_PORT`` moves by ``$offset_variable`` (default ``default_offset``) and the state
    dir becomes ``<state_dir>/<name>``: the same services from the same install cache, with
    data and ports of their own, so nothing run there touches the running pipeline.
    """
    if os.environ.get(SIDE_STACK_MARKER):  # already moved (a child process)
        return {}
    user = read_settings()
    offset = int(os.environ.get(offset_variable, default_offset))
    env = {
        field.upper(): str(getattr(user, field) + offset)
        for field in Settings.model_fields
        if field.endswith("_port")
    }
    env["SOCIALPULSE_STATE_DIR"] = str(user.state_dir / name)
    env[SIDE_STACK_MARKER] = name
    return env


def test_stack_environment() -> dict[str, str]:
    """The test suite's own stack: ports + ``SOCIALPULSE_TEST_PORT_OFFSET`` (default 1000),
    data under ``<state_dir>/test-stack``; ``make test`` never touches a running pipeline."""
    return side_stack_environment("test-stack", "SOCIALPULSE_TEST_PORT_OFFSET", 1000)


def bench_stack_environment() -> dict[str, str]:
    """The benchmarks' own stack: ports + ``SOCIALPULSE_BENCH_PORT_OFFSET`` (default 2000),
    data under ``<state_dir>/bench-stack``."""
    return side_stack_environment("bench-stack", "SOCIALPULSE_BENCH_PORT_OFFSET", 2000)


def read_settings() -> Settings:
    """Settings read now from the environment and ``.env`` (uncached)."""
    return Settings(_env_file=_env_file())  # type: ignore[call-arg]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment, falling back to the repo's ``.env`` file."""
    return read_settings()
