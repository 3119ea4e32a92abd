"""Run ClickHouse's own HTTP and native TCP servers from the ``chdb-core`` wheel.

Usage: ``python -m infra.clickhouse.server --config-dir DIR --data-dir DIR``

No ClickHouse server binary can be installed on the target machines, but ``chdb-core`` embeds
ClickHouse's ``LocalServer`` (clickhouse-local), whose HTTP and TCP handlers can be switched on
with ``SYSTEM START LISTEN``. Three oddities shape this module (see docs STACK.md, "ClickHouse"):

1. Only the low-level ``chdb._chdb.query(sql, fmt, path=...)`` runs a full ``LocalServer`` that
   can listen; the public ``chdb.connect``/``chdb.query`` embedded mode cannot. This process must
   therefore never call those, and nothing else may open the same data dir while it runs.
2. ``LocalServer`` reads ``config.xml`` (ports, listen_host, user directories) from the current
   directory. ``import chdb`` itself opens an embedded session that also reads it, so we import
   chdb *first* (from a neutral cwd) and only then ``chdir`` into the config dir.
3. The listeners live only while the ``query`` call runs, so the call ends with a query that
   never finishes (it carries ``MARKER`` in its text). The stack manager stops the server
   gracefully with ``KILL QUERY WHERE query LIKE '%<MARKER>%' AND query NOT LIKE '%KILL%'``; the
   call then returns and the process exits. (An untargeted ``KILL QUERY`` would stop it too.)
   While clients still hold connections, the engine waits ~5 s (``shutdown_wait_unfinished``
   in config.xml is not honoured here) and then exits the process itself with status 1, so
   the closing lines below are not printed; SIGTERM is a hard stop.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Text that identifies the blocking query in system.processes; stop() kills by this marker.
MARKER = "socialpulse_clickhouse_listener"

# The in-process session logs in as the passwordless, loopback-only `default` user, whose
# grants (users.xml) allow exactly what these statements need: SYSTEM LISTEN and reading
# system.numbers. sleepEachRow(1) with one row per block never ends in practice;
# max_execution_time=0 lifts any time limit. While it runs, `default`'s profile (at most one
# running query server-wide) refuses every other query as `default`, i.e. anonymous clients.
LISTEN_SQL = f"""
SYSTEM START LISTEN HTTP;
SYSTEM START LISTEN TCP;
SELECT '{MARKER}', sleepEachRow(1) FROM system.numbers FORMAT Null
SETTINGS max_block_size = 1, max_execution_time = 0;
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config-dir", type=Path, required=True, help="holds config.xml")
    parser.add_argument("--data-dir", type=Path, required=True, help="databases and tables")
    args = parser.parse_args(argv)
    config_dir: Path = args.config_dir.resolve()
    data_dir: Path = args.data_dir.resolve()
    if not (config_dir / "config.xml").is_file():
        print(f"no config.xml in {config_dir}", file=sys.stderr)
        return 2
    data_dir.mkdir(parents=True, exist_ok=True)

    # (2) import before chdir: the import's own embedded session must not see our config.xml.
    import chdb

    os.chdir(config_dir)
    print(
        f"chdb-core {chdb.__version__} (ClickHouse {chdb.engine_version}): "
        f"starting listeners per {config_dir / 'config.xml'}, data in {data_dir}",
        flush=True,
    )
    # (1) + (3): blocks for as long as the server should run. When a statement fails, the
    # engine prints the ClickHouse error to stderr (our log) itself; the result carries none.
    # The format given here becomes the server-wide default output format, which HTTP clients
    # get when they name none: it must be ClickHouse's usual TabSeparated (clickhouse-connect
    # parses its first query's answer as TSV; with "CSV" it fails).
    try:
        # (query is missing from the wheel's type stub for _chdb)
        result = chdb._chdb.query(LISTEN_SQL, "TabSeparated", path=str(data_dir))  # type: ignore[attr-defined]
    except RuntimeError as exc:
        print(f"ClickHouse stopped with an error: {exc}", file=sys.stderr, flush=True)
        return 1
    if result.has_error():
        print(f"ClickHouse stopped with an error: {result.error_message()}", flush=True)
        return 1
    # After stop()'s KILL QUERY the log shows QUERY_WAS_CANCELLED just above: a clean stop.
    print("listener query ended; ClickHouse stopped (see the line above for why)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
