#!/bin/bash
# Compose only: the read-only analyst user for Tableau (native: infra/clickhouse/users.xml).
set -euo pipefail
clickhouse client --user "$CLICKHOUSE_USER" --password "$CLICKHOUSE_PASSWORD" --multiquery <<SQL
CREATE USER IF NOT EXISTS ${CLICKHOUSE_ANALYST_USER}
  IDENTIFIED WITH sha256_password BY '${CLICKHOUSE_ANALYST_PASSWORD}'
  SETTINGS PROFILE 'readonly';
GRANT SELECT ON *.* TO ${CLICKHOUSE_ANALYST_USER};
SQL
