#!/bin/bash
# Compose only: the Airflow metadata database beside the warehouse (the native stack
# manager creates it in infra/stack/postgres.py).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "CREATE DATABASE \"${AIRFLOW_DB}\""
