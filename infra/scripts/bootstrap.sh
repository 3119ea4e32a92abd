#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: uv, the locked Python environment, .env, and
# every native service installed into ~/.cache/socialpulse (reused on the next run).
set -euo pipefail
cd "$(dirname "$0")/../.."

UV_VERSION="0.13.8"
export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null 2>&1 || [[ "$(uv --version | awk '{print $2}')" != "$UV_VERSION" ]]; then
  echo "bootstrap: installing uv $UV_VERSION"
  python3 -m pip install --quiet --user --disable-pip-version-check "uv==$UV_VERSION"
fi

# Debian packages beside the services: headless Chromium + its driver (dbt docs lineage test,
# make walkthrough) and ffmpeg (make walkthrough encodes the video). Installed once; skipped
# when present.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
    || ! command -v ffmpeg >/dev/null 2>&1; then
  if [[ "$(id -u)" -eq 0 ]]; then
    echo "bootstrap: installing chromium + chromium-driver + ffmpeg (Debian)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver ffmpeg >/dev/null
  else
    echo "bootstrap: please run: sudo apt-get install -y chromium chromium-driver ffmpeg" >&2
  fi
fi

# Bytecode compiled once at install: every Airflow task, dbt run and DAG parse starts a
# Python process, and without .pyc files each one compiles hundreds of modules again
# (seen: 6 s to import Airflow where PYTHONDONTWRITEBYTECODE is set).
uv sync --frozen --all-groups --quiet --compile-bytecode
.venv/bin/python -m compileall -q -j 0 socialpulse infra generator neo4j_jobs airflow/dags >/dev/null
.venv/bin/socialpulse init-env
.venv/bin/socialpulse stack install "$@"
