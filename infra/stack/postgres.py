"""PostgreSQL from Debian's packages: a private cluster under the state dir.

The server refuses to run as root, so when we are root the cluster belongs to a dedicated
system user (``socialpulse-pg``); otherwise it runs as the current user.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from infra.stack.base import NativeService, StackError, pid_alive, run

SYSTEM_USER = "socialpulse-pg"
DEBIAN_PACKAGES = ("postgresql", "postgresql-contrib")


def server_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` that holds a server."""
    root = Path("/usr/lib/postgresql")
    candidates = sorted(
        (p for p in root.glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _world_traversable(path: Path) -> bool:
    """True if every existing ancestor of ``path`` lets other users pass (o+x)."""
    for parent in (path.resolve(), *path.resolve().parents):
        if parent.exists() and not parent.stat().st_mode & stat.S_IXOTH:
            return False
    return True


class PostgresService(NativeService):
    name = "postgres"
    start_timeout_s = 60.0

    @property
    def cluster_root(self) -> Path:
        """Where the cluster lives: ``.state/postgres`` if the cluster user can reach it.

        A clone under a private home (e.g. /root, mode 0700) cannot be entered by the
        dedicated user; the cluster then lives in /var/lib/socialpulse, keyed by state dir.
        """
        user = self._run_as()
        if user is None or _world_traversable(self.settings.state_dir):
            return self.data_dir
        digest = hashlib.sha1(str(self.settings.state_dir.resolve()).encode()).hexdigest()[:12]
        return Path("/var/lib/socialpulse") / f"postgres-{digest}"

    @property
    def cluster_dir(self) -> Path:
        return self.cluster_root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.cluster_root / "run"

    @property
    def url(self) -> str:
        s = self.settings
        return f"postgresql://{s.postgres_host}:{s.postgres_port}/{s.postgres_db}"

    def _bin(self, tool: str) -> Path:
        bin_dir = server_bin_dir()
        if bin_dir is None:
            raise StackError("PostgreSQL server is not installed; run `socialpulse stack install`")
        return bin_dir / tool

    def _run_as(self) -> str | None:
        """The OS user that owns the cluster (None = the current user)."""
        return SYSTEM_USER if os.geteuid() == 0 else None

    def install(self) -> None:
        if server_bin_dir() is None:
            if os.geteuid() != 0:
                raise StackError(
                    "PostgreSQL server missing: run `sudo apt-get install -y "
                    + " ".join(DEBIAN_PACKAGES)
                    + "` and retry"
                )
            run(["apt-get", "update", "-q"])
            run(
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", *DEBIAN_PACKAGES],
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        user = self._run_as()
        if user is not None:
            try:
                pwd.getpwnam(user)
            except KeyError:
                run(
                    [
                        "useradd",
                        "--system",
                        "--no-create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        user,
                    ]
                )

    def _chown(self, path: Path) -> None:
        user = self._run_as()
        if user is not None:
            shutil.chown(path, user, user)

    def _init_cluster(self) -> None:
        if (self.cluster_dir / "PG_VERSION").exists():
            return
        user = self._run_as()
        for path in (self.cluster_root, self.cluster_dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            self._chown(path)
        self.cluster_dir.chmod(0o700)
        if user is not None:
            # The cluster user must be able to walk down to its data dir.
            probe = subprocess.run(["test", "-x", str(self.cluster_dir)], user=user, check=False)
            if probe.returncode != 0:
                raise StackError(
                    f"user {user} cannot reach {self.cluster_dir}; make its parent dirs "
                    "world-executable (chmod o+x) or set SOCIALPULSE_STATE_DIR elsewhere"
                )
        pwfile = self.cluster_root / ".initpw"
        pwfile.write_text(self.settings.postgres_password.get_secret_value() + "\n")
        pwfile.chmod(0o600)
        self._chown(pwfile)
        try:
            run(
                [
                    self._bin("initdb"),
                    "-D",
                    self.cluster_dir,
                    "-U",
                    self.settings.postgres_user,
                    f"--pwfile={pwfile}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                user=user,
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self) -> None:
        if self.health():
            return
        if self.pid() is not None and self._server_ready():
            self._ensure_databases()  # running, but a database is missing
            return
        self.refuse_taken_ports(
            self.settings.postgres_host, {"POSTGRES_PORT": self.settings.postgres_port}
        )
        self.install()
        self._init_cluster()
        self._remove_stale_lock()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        s = self.settings
        self.spawn(
            [
                self._bin("postgres"),
                "-D",
                self.cluster_dir,
                "-c",
                f"port={s.postgres_port}",
                "-c",
                f"listen_addresses={s.postgres_host}",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
                # Airflow, dbt threads, tests and ClickHouse's PostgreSQL-engine pools (up to
                # 64 per mirrored schema, see infra/clickhouse/users.xml) share one server.
                "-c",
                "max_connections=300",
                "-c",
                "shared_buffers=256MB",
                "-c",
                "max_wal_size=2GB",
                "-c",
                "logging_collector=off",
            ],
            user=self._run_as(),
        )
        self.wait_healthy(probe=self._server_ready)
        self._ensure_databases()

    def _remove_stale_lock(self) -> None:
        """Remove the lock files (``postmaster.pid``, the socket's ``.lock``) left by a killed
        server whose process is gone or a zombie nobody reaped (PostgreSQL's own check
        counts a zombie as running and would refuse to start)."""
        port = self.settings.postgres_port
        for lock in (
            Path(self.cluster_dir) / "postmaster.pid",
            Path(self.socket_dir) / f".s.PGSQL.{port}.lock",
        ):
            try:
                pid = int(lock.read_text().split()[0])
            except (FileNotFoundError, ValueError, IndexError):
                continue
            if not pid_alive(pid):
                lock.unlink(missing_ok=True)

    def _admin_conn(self, database: str = "postgres") -> psycopg.Connection:
        # Local socket with trust auth: works even if .env's password changed since initdb.
        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.settings.postgres_port,
            user=self.settings.postgres_user,
            dbname=database,
            autocommit=True,
        )

    def _ensure_databases(self) -> None:
        s = self.settings
        with self._admin_conn() as conn:
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(s.postgres_user),
                    sql.Literal(s.postgres_password.get_secret_value()),
                )
            )
            for database in (s.postgres_db, s.airflow_db):
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    def connect(self, database: str | None = None) -> psycopg.Connection:
        """A password-authenticated TCP connection, as every client makes it."""
        s = self.settings
        return psycopg.connect(
            host=s.postgres_host,
            port=s.postgres_port,
            user=s.postgres_user,
            password=s.postgres_password.get_secret_value(),
            dbname=database or s.postgres_db,
            connect_timeout=3,
        )

    def _server_ready(self) -> bool:
        try:
            with self._admin_conn() as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.Error:
            return False

    def health(self) -> bool:
        try:
            with self.connect() as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.Error:
            return False

    def stop(self) -> None:
        # SIGINT = "fast shutdown": roll back open transactions, checkpoint, exit.
        self.terminate(signal.SIGINT, timeout_s=60)

    def version(self) -> str:
        proc = run([self._bin("postgres"), "--version"])
        return proc.stdout.split()[2]  # "postgres (PostgreSQL) 15.18 (Debian ...)"
