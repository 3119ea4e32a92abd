"""PostgreSQL started by the native stack manager, over real connections."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from infra.stack.base import NativeService, StackError, port_open
from infra.stack.postgres import PostgresService
from socialpulse.settings import Settings

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def postgres(started_service: Callable[[str], NativeService]) -> PostgresService:
    svc = started_service("postgres")
    assert isinstance(svc, PostgresService)
    return svc


def test_warehouse_and_airflow_databases_exist(
    postgres: PostgresService, settings: Settings
) -> None:
    with postgres.connect("postgres") as conn:
        names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
    assert {settings.postgres_db, settings.airflow_db} <= names


def test_sql_round_trip_with_copy(postgres: PostgresService) -> None:
    with postgres.connect() as conn:
        conn.execute("CREATE TEMP TABLE smoke (id int PRIMARY KEY, label text)")
        with conn.cursor().copy("COPY smoke (id, label) FROM STDIN") as copy:
            for i in range(1000):
                copy.write_row((i, f"row-{i}"))
        count, total, last = conn.execute(
            "SELECT count(*), sum(id), max(label) FROM smoke"
        ).fetchone() or (None, None, None)
    assert (count, total, last) == (1000, sum(range(1000)), "row-999")


def test_wrong_password_is_refused(postgres: PostgresService, settings: Settings) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(
            host=settings.postgres_host,
            port=settings.postgres_port,
            user=settings.postgres_user,
            password="not-the-password",
            dbname=settings.postgres_db,
        )


def test_second_start_reuses_the_running_server(postgres: PostgresService) -> None:
    pid_before = postgres.pid()
    postgres.start()
    assert postgres.pid() == pid_before
    assert postgres.status().healthy


def test_health_is_false_on_an_unused_port(settings: Settings) -> None:
    elsewhere = PostgresService(settings.model_copy(update={"postgres_port": 1}))
    assert elsewhere.health() is False


def test_cluster_moves_out_of_a_private_home(settings: Settings, tmp_path: Path) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    svc = PostgresService(settings.model_copy(update={"socialpulse_state_dir": private / ".state"}))
    if os.geteuid() == 0:  # the cluster user is a dedicated system user who cannot enter it
        assert svc.cluster_root.parent == Path("/var/lib/socialpulse")
    else:  # the cluster runs as the current user, who can
        assert svc.cluster_root == private / ".state" / "postgres"
    open_home = Path(tempfile.mkdtemp(prefix="sp-open-"))  # directly in /tmp (sticky, o+x)
    try:
        open_home.chmod(0o755)
        svc = PostgresService(
            settings.model_copy(update={"socialpulse_state_dir": open_home / ".state"})
        )
        assert svc.cluster_root == open_home / ".state" / "postgres"
    finally:
        open_home.rmdir()


def test_start_refuses_a_port_held_by_another_program(
    started_service: Callable[[str], NativeService], settings: Settings
) -> None:
    # Point a second cluster at MinIO's S3 port (never a PostgreSQL that knows our password).
    started_service("minio")
    assert port_open(settings.minio_host, settings.minio_port)
    elsewhere = PostgresService(settings.model_copy(update={"postgres_port": settings.minio_port}))
    with pytest.raises(StackError, match=f"{settings.minio_port} is taken.*POSTGRES_PORT"):
        elsewhere.start()
