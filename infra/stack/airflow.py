"""Airflow 3 ``standalone`` (api-server, scheduler, dag-processor, triggerer) on the stack's Postgres.

``airflow_env`` is the single source of the Airflow configuration: the standalone process,
``socialpulse airflow ...`` and the tests all run Airflow with exactly these variables.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import secrets
import signal
import sys
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from infra.stack.base import NativeService, StackError, pid_alive, wait_for
from infra.stack.registry import service
from infra.stack.supervisor import supervise
from socialpulse.settings import REPO_ROOT, Settings

DAGS_FOLDER = REPO_ROOT / "airflow" / "dags"
AIRFLOW_BIN = Path(sys.executable).parent / "airflow"


def airflow_home(settings: Settings) -> Path:
    return settings.state_dir / "airflow"


def _persistent_secrets(home: Path) -> dict[str, str]:
    """Fernet key and JWT secret, generated once per state dir and shared by every process."""
    path = home / "secrets.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    home.mkdir(parents=True, exist_ok=True)
    values = {
        "fernet_key": Fernet.generate_key().decode(),
        "jwt_secret": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


def connections_env(settings: Settings) -> dict[str, str]:
    """Airflow connections for every service, built from the same settings (JSON form)."""
    s = settings
    conns = {
        "socialpulse_postgres": {
            "conn_type": "postgres",
            "host": s.postgres_host,
            "port": s.postgres_port,
            "login": s.postgres_user,
            "password": s.postgres_password.get_secret_value(),
            "schema": s.postgres_db,
        },
        "socialpulse_minio": {
            "conn_type": "aws",
            "login": s.minio_root_user,
            "password": s.minio_root_password.get_secret_value(),
            "extra": {"endpoint_url": f"http://{s.minio_endpoint}"},
        },
        "socialpulse_clickhouse": {
            "conn_type": "generic",
            "host": s.clickhouse_host,
            "port": s.clickhouse_http_port,
            "login": s.clickhouse_user,
            "password": s.clickhouse_password.get_secret_value(),
            # Cosmos' ClickhouseUserPasswordProfileMapping claims generic connections by it.
            "extra": {"clickhouse": "True"},
        },
        "socialpulse_neo4j": {
            "conn_type": "neo4j",
            "host": s.neo4j_host,
            "port": s.neo4j_bolt_port,
            "login": s.neo4j_user,
            "password": s.neo4j_password.get_secret_value(),
        },
    }
    return {f"AIRFLOW_CONN_{cid.upper()}": json.dumps(body) for cid, body in conns.items()}


#: Airflow's side listeners, as offsets from the API port: 8080 gives Airflow's defaults.
_SIDE_PORT_OFFSETS = {
    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": 713,  # 8793
    "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": 714,  # 8794
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": 894,  # 8974
}


def side_ports_env(api_port: int) -> dict[str, str]:
    """The log servers' and the scheduler health check's ports, derived from the API port."""
    return {name: str(api_port + offset) for name, offset in _SIDE_PORT_OFFSETS.items()}


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment for any Airflow process of this project."""
    s = settings
    home = airflow_home(s)
    keys = _persistent_secrets(home)
    metadata_dsn = (
        f"postgresql+psycopg2://{s.postgres_user}:{s.postgres_password.get_secret_value()}"
        f"@{s.postgres_host}:{s.postgres_port}/{s.airflow_db}"
    )
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(s.airflow_parallelism),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(s.airflow_parallelism),
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_dsn,
        "AIRFLOW__API__HOST": s.airflow_host,
        "AIRFLOW__API__PORT": str(s.airflow_port),
        "AIRFLOW__API__BASE_URL": s.airflow_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{s.airflow_url}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{s.airflow_admin_user}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        # New DAG files show up within half a minute instead of five.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        # Parsing the Cosmos DAG takes ~1-2 s; on 2 busy cores it has taken over 30 s (the
        # default), and a task whose DAG fails to load at start-up is rescheduled, not run.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        # A task whose worker died with a killed scheduler is failed (and retried) after 90 s
        # without a heartbeat, not the default 5 minutes: the pipeline runs every minute.
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "90",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        # Side ports follow the API port (Airflow's defaults for 8080), so two stacks on one
        # machine (a developer's and the test suite's) never fight over them.
        **side_ports_env(s.airflow_port),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        # No internet here: Cosmos must not try to phone home.
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        # Cosmos would rewrite the producer's whole XCom backup (compressed, into a Variable)
        # at every node result, for a retry of the producer: ours never retries (a failed
        # build's nodes are cleared instead, docs/data_vault.md), so that is ~700 writes for
        # nothing per build.
        "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY": "False",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
        # standalone launches its components as `airflow ...` from PATH.
        "PATH": os.pathsep.join((str(AIRFLOW_BIN.parent), os.environ.get("PATH", ""))),
        # DAGs import our packages (ingestion, neo4j_jobs, ...) from the repo.
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
        **connections_env(s),
    }
    return env


class AirflowService(NativeService):
    name = "airflow"
    # a supervisor restart (90 s unhealthy + a fresh start) fits in the wait
    start_timeout_s = 420.0

    @property
    def url(self) -> str:
        return self.settings.airflow_url

    def install(self) -> None:
        # Airflow is a locked Python dependency; nothing to fetch beyond `uv sync`.
        try:
            importlib.metadata.version("apache-airflow")
        except importlib.metadata.PackageNotFoundError as exc:
            raise StackError("apache-airflow is not installed; run `make setup`") from exc

    def _write_password_file(self) -> None:
        home = airflow_home(self.settings)
        home.mkdir(parents=True, exist_ok=True)
        path = home / "passwords.json"
        path.write_text(
            json.dumps(
                {
                    self.settings.airflow_admin_user: self.settings.airflow_admin_password.get_secret_value()
                }
            )
        )
        path.chmod(0o600)

    def start(self) -> None:
        if self.health():
            return
        self.install()
        service("postgres", self.settings).start()
        if self.pid() is None:
            # The supervisor (`stack serve airflow`) runs the standalone and restarts it
            # when it exits or stays unhealthy (infra/stack/supervisor.py).
            argv = [sys.executable, "-m", "socialpulse.cli", "stack", "serve", "airflow"]
            self.spawn(argv, env=self.settings.as_env(), cwd=REPO_ROOT)
        # running but unhealthy: starting, or being restarted by its supervisor
        self.wait_healthy()

    def serve_foreground(self) -> None:
        """Run `airflow standalone` under the supervisor until SIGINT/SIGTERM (the native
        stack's process, and compose's airflow service)."""
        self._write_password_file()
        home = airflow_home(self.settings)
        env = {**os.environ, **airflow_env(self.settings)}
        supervise([AIRFLOW_BIN, "standalone"], self.health, env=env, cwd=home)

    def health(self) -> bool:
        try:
            resp = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=3)
            body = resp.json()
        except (httpx.HTTPError, ValueError):
            return False
        needed = ("metadatabase", "scheduler", "dag_processor", "triggerer")
        return resp.status_code == 200 and all(
            (body.get(part) or {}).get("status") == "healthy" for part in needed
        )

    def stop(self) -> None:
        # SIGINT to the supervisor: it stops the standalone (which stops its components),
        # then kills what is left of the standalone's process group.
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
        if not wait_for(lambda: not pid_alive(pid), 100):
            self.terminate(signal.SIGTERM, timeout_s=30)
        self.pid_file.unlink(missing_ok=True)

    def version(self) -> str:
        return importlib.metadata.version("apache-airflow")

    def token(self) -> str:
        """A JWT for the REST API, from the admin login."""
        resp = httpx.post(
            f"{self.url}/auth/token",
            json={
                "username": self.settings.airflow_admin_user,
                "password": self.settings.airflow_admin_password.get_secret_value(),
            },
            timeout=10,
        )
        resp.raise_for_status()
        return str(resp.json()["access_token"])
