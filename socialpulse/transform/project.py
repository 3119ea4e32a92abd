"""Where the dbt project lives and how to run dbt against it with the project's settings."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from socialpulse.settings import REPO_ROOT, Settings, get_settings

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST_PATH = DBT_TARGET_DIR / "manifest.json"
#: dbt of the project's own environment (Cosmos runs it in-process; this is for the CLI).
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


class DbtError(RuntimeError):
    """A dbt command failed; the message carries the tail of its output."""


def dbt_env(settings: Settings | None = None, **overrides: str) -> dict[str, str]:
    """The environment of a dbt process: the profile reads every credential from it.

    Values come from settings (environment first, then ``.env``), so ``dbt`` run here sees
    the same warehouse as the rest of the project; ``overrides`` win (e.g. POSTGRES_DB).
    """
    s = settings or get_settings()
    env = {
        **os.environ,
        "POSTGRES_HOST": s.postgres_host,
        "POSTGRES_PORT": str(s.postgres_port),
        "POSTGRES_USER": s.postgres_user,
        "POSTGRES_PASSWORD": s.postgres_password.get_secret_value(),
        "POSTGRES_DB": s.postgres_db,
        "CLICKHOUSE_HOST": s.clickhouse_host,
        "CLICKHOUSE_HTTP_PORT": str(s.clickhouse_http_port),
        "CLICKHOUSE_USER": s.clickhouse_user,
        "CLICKHOUSE_PASSWORD": s.clickhouse_password.get_secret_value(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    env.update(overrides)
    return env


def run_dbt(
    args: Sequence[str],
    *,
    settings: Settings | None = None,
    env: Mapping[str, str] | None = None,
    target: str = "pg",
    check: bool = True,
    target_path: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` in the project with its profiles dir and ``target``.

    ``target_path`` puts artifacts and logs elsewhere than ``dbt_project/target`` (tests and
    benchmarks, so they never overwrite the manifest Airflow renders from).
    """
    paths: list[str] = []
    if target_path is not None:
        paths = ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    cmd = [
        str(DBT_EXECUTABLE),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        target,
        *paths,
    ]
    full_env = dbt_env(settings, **dict(env or {}))
    log.info("running %s", " ".join(cmd))
    try:
        proc = subprocess.run(
            cmd, cwd=DBT_PROJECT_DIR, env=full_env, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise DbtError(f"cannot start {DBT_EXECUTABLE}: {exc}; run `make setup`") from exc
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise DbtError(f"`dbt {' '.join(args)}` failed (exit {proc.returncode}):\n{tail}")
    return proc
