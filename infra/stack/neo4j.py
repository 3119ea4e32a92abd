"""Neo4j Community 5.26 LTS + Graph Data Science, resolved from Maven Central and run natively.

Neo4j publishes no server tarball to Maven Central, but it publishes every jar the Community
distribution puts into ``lib/`` (the ``neo4j-community-standalone`` assembly pom depends on them)
and GDS publishes the modules of its open-source edition. ``install`` lets Maven copy them
(``infra/neo4j/pom.xml``, profiles ``server`` and ``gds``) into
``<cache>/neo4j/<neo4j>-gds<gds>/``:

* ``lib/``      the server's jars, named ``groupId.artifactId[-classifier].jar``;
* ``plugins/``  the dozen GDS jars that declare procedures and functions (Neo4j loads every
  class of every jar here at start-up, so the fewer the better);
* ``gds-lib/``  the rest of GDS and its third-party dependencies: on the classpath only. A jar
  both the server and GDS ship is kept once, the server's version.

The Maven repository (``<cache>/neo4j/m2``) is shared by all versions. ``start`` writes
``<state>/neo4j/conf/neo4j.conf``, sets the initial password of the ``neo4j`` user with
``neo4j-admin``'s main class before the very first start, and runs what ``neo4j console``
would run: ``java <opts> -cp ... org.neo4j.server.CommunityEntryPoint --home-dir --config-dir``
(without Neo4j's extra bootloader JVM). Data, transaction logs and Neo4j's own logs live under
``<state>/neo4j``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from infra.stack.base import NativeService, StackError, port_open, run, wait_for
from socialpulse.settings import REPO_ROOT

# Keep in step with the defaults in infra/neo4j/pom.xml (these are passed to Maven explicitly).
# Neo4j 5.26 is the last line that runs on Java 17 (2025.x needs Java 21); GDS 2.13 is the GDS
# line for Neo4j 5.26 (2.14+ follow Neo4j 2025.x), and 2.13.9 is the newest 2.13 release whose
# modules are all on Maven Central.
NEO4J_VERSION = "5.26.30"
GDS_VERSION = "2.13.9"

POM = REPO_ROOT / "infra" / "neo4j" / "pom.xml"
MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
SUPPORTED_JAVA = (17, 21)  # what Neo4j 5.26 supports

# The server's memory: modest, the machine is shared with four other services.
HEAP_INITIAL = "256m"
HEAP_MAX = "1g"
PAGECACHE = "512m"

# The JVM flags of Neo4j's own neo4j.conf (server.jvm.additional), less -XX:+AlwaysPreTouch
# (which would commit the whole heap up front on a shared machine).
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
)

_JAVA_VERSION_LINE = re.compile(r'^JAVA_VERSION="(\d+)', re.MULTILINE)
_PROCEDURE_ANNOTATION = re.compile(
    rb"Lorg/neo4j/procedure/(?:Procedure|UserFunction|UserAggregationFunction);"
)
_MIN_PASSWORD_LENGTH = 8  # Neo4j's dbms.security.auth_minimum_password_length default

Probe = Literal["ok", "auth", "down"]


def java_home() -> Path | None:
    """A JDK that Neo4j 5.26 supports (17 preferred, then 21): $JAVA_HOME, /usr/lib/jvm, PATH."""
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    jvm_root = Path("/usr/lib/jvm")
    if jvm_root.is_dir():
        candidates.extend(
            sorted(p for p in jvm_root.iterdir() if p.is_dir() and not p.is_symlink())
        )
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve().parent.parent)
    by_major: dict[int, Path] = {}
    for home in candidates:
        major = _java_major(home)
        if major in SUPPORTED_JAVA and (home / "bin" / "java").exists():
            by_major.setdefault(major, home)
    return next((by_major[m] for m in SUPPORTED_JAVA if m in by_major), None)


def _java_major(home: Path) -> int | None:
    try:
        match = _JAVA_VERSION_LINE.search((home / "release").read_text())
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _declares_procedures(jar: Path) -> bool:
    """True if a class in ``jar`` uses Neo4j's @Procedure/@UserFunction/@UserAggregationFunction."""
    with zipfile.ZipFile(jar) as archive:
        for entry in archive.namelist():
            if entry.endswith(".class") and _PROCEDURE_ANNOTATION.search(archive.read(entry)):
                return True
    return False


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Neo4jService(NativeService):
    name = "neo4j"
    start_timeout_s = 240.0  # a cold first start (creating system + neo4j) takes ~25-60 s here
    stop_timeout_s = 120.0
    health_timeout_s = 3.0

    # --- paths and endpoints ---------------------------------------------------------------
    @property
    def install_dir(self) -> Path:
        return self.cache_dir / f"{NEO4J_VERSION}-gds{GDS_VERSION}"

    @property
    def marker(self) -> Path:
        return self.install_dir / ".installed"

    @property
    def maven_repo(self) -> Path:
        return self.cache_dir / "m2"

    @property
    def conf_dir(self) -> Path:
        return self.data_dir / "conf"

    @property
    def url(self) -> str:
        return f"bolt://{self.settings.neo4j_host}:{self.settings.neo4j_bolt_port}"

    def version(self) -> str:
        return f"{NEO4J_VERSION} (GDS {GDS_VERSION})"

    def classpath(self) -> str:
        d = self.install_dir
        return f"{d / 'lib'}/*:{d / 'plugins'}/*:{d / 'gds-lib'}/*"

    # --- install -----------------------------------------------------------------------------
    def install(self) -> None:
        if self.marker.exists():
            return
        java = java_home()
        if java is None:
            raise StackError(
                "Neo4j 5.26 needs a Java 17 or 21 JDK: `apt-get install openjdk-17-jdk-headless` "
                "and retry `socialpulse stack install`"
            )
        mvn = shutil.which("mvn")
        if mvn is None:
            raise StackError(
                "Maven resolves Neo4j and GDS from Maven Central: `apt-get install maven` and "
                "retry `socialpulse stack install`"
            )
        with _file_lock(self.cache_dir / ".install.lock"):
            if self.marker.exists():  # another process installed it while we waited
                return
            started = time.monotonic()
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".install-", dir=self.cache_dir) as tmp:
                staging = Path(tmp) / "dist"
                for profile, subdir in (("server", "lib"), ("gds", "plugins")):
                    self._maven(Path(mvn), java, profile, staging / subdir, Path(tmp))
                moved = self._split_plugins(staging)
                shutil.rmtree(self.install_dir, ignore_errors=True)  # a half-finished earlier try
                os.replace(staging, self.install_dir)
            elapsed = time.monotonic() - started
            self.marker.write_text(
                f"neo4j={NEO4J_VERSION}\ngds={GDS_VERSION}\njava={_java_major(java)}\n"
                f"install_seconds={elapsed:.0f}\njars_on_classpath_only={moved}\n"
            )
            self._log(f"installed Neo4j {self.version()} into {self.install_dir} in {elapsed:.0f}s")

    def _maven(self, mvn: Path, java: Path, profile: str, out: Path, tmp: Path) -> None:
        run(
            [
                mvn,
                "-q",
                "-B",
                "--no-transfer-progress",
                "-f",
                POM,
                "-P",
                profile,
                "dependency:copy-dependencies",
                f"-DoutputDirectory={out}",
                f"-Dmaven.repo.local={self.maven_repo}",
                f"-Dneo4j.version={NEO4J_VERSION}",
                f"-Dgds.version={GDS_VERSION}",
                f"-Dsocialpulse.build.dir={tmp / 'target'}",
            ],
            env={**os.environ, "JAVA_HOME": str(java)},
            cwd=tmp,
        )
        if not any(out.glob("*.jar")):
            raise StackError(f"Maven profile {profile!r} copied no jars into {out}")

    @staticmethod
    def _split_plugins(dist: Path) -> int:
        """Keep only jars that declare procedures/functions in plugins/; the rest to gds-lib/.

        Neo4j loads every class of every jar in plugins/ to look for procedures, which costs
        seconds per start for GDS's ~130 jars; only a dozen declare any. Jars the server already
        ships (same groupId.artifactId) are dropped, so its version of a shared library wins.
        """
        lib, plugins, gds_lib = dist / "lib", dist / "plugins", dist / "gds-lib"
        gds_lib.mkdir()
        server_jars = {p.name for p in lib.glob("*.jar")}
        moved = 0
        for jar in sorted(plugins.glob("*.jar")):
            if jar.name in server_jars:
                jar.unlink()
            elif not _declares_procedures(jar):
                jar.rename(gds_lib / jar.name)
                moved += 1
        if not (plugins / "org.neo4j.gds.proc-sysinfo.jar").exists():
            raise StackError(f"the GDS procedure jars are missing from {plugins}")
        return moved

    # --- configuration -------------------------------------------------------------------------
    def write_config(self) -> Path:
        """Write ``<state>/neo4j/conf/neo4j.conf`` (every start; it holds no secret)."""
        for sub in ("conf", "data", "logs", "run", "import"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        conf = self.conf_dir / "neo4j.conf"
        conf.write_text(self.config_text())
        return conf

    def _running_config(self) -> str | None:
        try:
            return (self.conf_dir / "neo4j.conf").read_text()
        except FileNotFoundError:
            return None

    def config_text(self) -> str:
        """The neo4j.conf for the current settings."""
        s = self.settings
        d, cache = self.data_dir, self.install_dir
        lines = [
            "# Written by infra/stack/neo4j.py on every start; edits here are overwritten.",
            f"server.directories.data={d / 'data'}",
            f"server.directories.logs={d / 'logs'}",
            f"server.directories.run={d / 'run'}",
            f"server.directories.import={d / 'import'}",
            f"server.directories.lib={cache / 'lib'}",
            f"server.directories.plugins={cache / 'plugins'}",
            f"server.default_listen_address={s.neo4j_host}",
            f"server.default_advertised_address={s.neo4j_host}",
            "server.bolt.enabled=true",
            f"server.bolt.listen_address={s.neo4j_host}:{s.neo4j_bolt_port}",
            f"server.bolt.advertised_address={s.neo4j_host}:{s.neo4j_bolt_port}",
            "server.http.enabled=true",
            f"server.http.listen_address={s.neo4j_host}:{s.neo4j_http_port}",
            f"server.http.advertised_address={s.neo4j_host}:{s.neo4j_http_port}",
            "server.https.enabled=false",
            "dbms.security.auth_enabled=true",
            "dbms.security.procedures.unrestricted=gds.*",
            "dbms.security.procedures.allowlist=gds.*",
            f"server.memory.heap.initial_size={HEAP_INITIAL}",
            f"server.memory.heap.max_size={HEAP_MAX}",
            f"server.memory.pagecache.size={PAGECACHE}",
            "db.tx_log.rotation.retention_policy=1 days",
            "dbms.usage_report.enabled=false",
            # Only read by `neo4j console`; the stack passes the same flags itself.
            *(f"server.jvm.additional={opt}" for opt in JVM_OPTIONS),
        ]
        return "\n".join(lines) + "\n"

    def _java_argv(self, java: Path, main_class: str, *args: str) -> list[str]:
        return [str(java / "bin" / "java"), "-cp", self.classpath(), main_class, *args]

    def _admin_env(self) -> dict[str, str]:
        return {**os.environ, "NEO4J_HOME": str(self.data_dir), "NEO4J_CONF": str(self.conf_dir)}

    def _password(self) -> str:
        password = self.settings.neo4j_password.get_secret_value()
        if len(password) < _MIN_PASSWORD_LENGTH:
            raise StackError(
                f"NEO4J_PASSWORD must have at least {_MIN_PASSWORD_LENGTH} characters "
                "(set it in .env, e.g. with `socialpulse init-env`)"
            )
        return password

    def _set_initial_password(self, java: Path) -> None:
        """``neo4j-admin dbms set-initial-password`` before the first start only.

        Neo4j applies ``data/dbms/auth.ini`` when it creates the system database, so once that
        exists the password lives in the database and this is skipped.
        """
        if (self.data_dir / "data" / "databases" / "system").exists():
            return
        # "--": the password is a positional argument even if it starts with "-"
        argv = self._java_argv(
            java, ADMIN_CLASS, "dbms", "set-initial-password", "--", self._password()
        )
        proc = subprocess.run(
            argv, env=self._admin_env(), capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:  # argv holds the password: report the output only
            raise StackError(
                f"neo4j-admin dbms set-initial-password failed ({proc.returncode}):\n"
                f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
            )

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.health():
            return
        s = self.settings
        self._password()
        if self.pid() is not None and self._running_config() != self.config_text():
            raise StackError(
                f"Neo4j (pid {self.pid()}) runs with another configuration than .env now asks "
                "for (ports or paths changed); stop it first: `socialpulse stack down neo4j`"
            )
        if self.pid() is None:
            self.refuse_taken_ports(
                s.neo4j_host,
                {"NEO4J_BOLT_PORT": s.neo4j_bolt_port, "NEO4J_HTTP_PORT": s.neo4j_http_port},
            )
            self.install()
            java = java_home()
            if java is None:
                raise StackError("no Java 17 or 21 JDK found for Neo4j 5.26")
            self.write_config()
            self._set_initial_password(java)
            self.spawn(
                [
                    str(java / "bin" / "java"),
                    f"-Xms{HEAP_INITIAL}",
                    f"-Xmx{HEAP_MAX}",
                    *JVM_OPTIONS,
                    "-cp",
                    self.classpath(),
                    MAIN_CLASS,
                    f"--home-dir={self.data_dir}",
                    f"--config-dir={self.conf_dir}",
                    "--console-mode",  # Neo4j's user log also goes to our log file
                ],
                cwd=self.data_dir,
            )
        self._wait_bolt()
        self._ensure_user()
        self.wait_healthy()

    def _wait_bolt(self) -> None:
        """Wait until Bolt answers, then fail fast if it rejects the configured password."""
        user = self.settings.neo4j_user
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            state = self._probe(user)
            if state == "ok":
                return
            if state == "auth":
                if user != "neo4j" and self._probe("neo4j") == "ok":
                    return  # first start with a custom NEO4J_USER: _ensure_user creates it
                raise StackError(
                    f"Neo4j at {self.url} rejects NEO4J_USER/NEO4J_PASSWORD: its database was "
                    "created with another password. Set that one in .env, or stop Neo4j and "
                    f"delete {self.data_dir / 'data'} to start afresh."
                )
            if self.pid() is None:
                raise StackError(
                    f"neo4j exited during start-up; see {self.log_file}:\n{self.log_tail()}"
                )
            time.sleep(0.5)
        raise StackError(
            f"neo4j did not answer on Bolt within {self.start_timeout_s:.0f}s; see "
            f"{self.log_file}:\n{self.log_tail()}"
        )

    def _ensure_user(self) -> None:
        """Create NEO4J_USER (Community: every user is an admin) if it is not ``neo4j``."""
        user = self.settings.neo4j_user
        if user == "neo4j" or self._probe(user) == "ok":
            return
        from neo4j import GraphDatabase

        password = self._password()
        with GraphDatabase.driver(self.url, auth=("neo4j", password)) as driver:
            driver.execute_query(
                "CREATE USER $user IF NOT EXISTS SET PASSWORD $password CHANGE NOT REQUIRED",
                user=user,
                password=password,
                database_="system",
            )

    def _probe(self, user: str) -> Probe:
        """Run ``RETURN 1`` over Bolt as ``user``: ok, auth (rejected) or down."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError

        try:
            with GraphDatabase.driver(
                self.url,
                auth=(user, self.settings.neo4j_password.get_secret_value()),
                connection_timeout=self.health_timeout_s,
                connection_acquisition_timeout=self.health_timeout_s,
                max_transaction_retry_time=0,
            ) as driver:
                records, _, _ = driver.execute_query("RETURN 1 AS ok")
                return "ok" if records and records[0]["ok"] == 1 else "down"
        except AuthError:
            return "auth"
        except Exception:
            return "down"

    def health(self) -> bool:
        """True when Bolt answers ``RETURN 1`` for NEO4J_USER/NEO4J_PASSWORD."""
        return self._probe(self.settings.neo4j_user) == "ok"

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        self.terminate(timeout_s=self.stop_timeout_s)
        wait_for(lambda: not port_open(self.settings.neo4j_host, self.settings.neo4j_bolt_port), 10)

    def _log(self, message: str) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a") as log:
            log.write(f"=== {time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")
