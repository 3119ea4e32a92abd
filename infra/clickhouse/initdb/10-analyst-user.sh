#!/bin/bash
# Compose only: the read-only analyst user for Tableau (native: infra/clickhouse/users.xml).
# It reads the marts and nothing else (not the vault mirrors, which hold personal data).
set -euo pipefail
clickhouse client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --multiquery <<SQL
CREATE DATABASE IF NOT EXISTS marts;
CREATE USER IF NOT EXISTS ${CLICKHOUSE_ANALYST_USER}
  IDENTIFIED WITH sha256_password BY '${CLICKHOUSE_ANALYST_PASSWORD}'
  SETTINGS PROFILE 'readonly';
GRANT SELECT ON marts.* TO ${CLICKHOUSE_ANALYST_USER};
SQL
