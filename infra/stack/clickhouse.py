"""ClickHouse, natively: the real 26.9 engine from the pinned ``chdb-core`` wheel.

No ClickHouse server binary is installable on the target machines, so the server is
``python -m infra.clickhouse.server`` (see that module for why it looks the way it does):
ClickHouse's own HTTP and native TCP handlers, started from the wheel's ``LocalServer``.
Users live in a rendered ``users.xml``: the pipeline user (full rights), the read-only
analyst, and a passwordless ``default`` that only the in-process listener session can use.

Layout under the state dir: ``clickhouse/config/{config,users}.xml`` (rendered at every
start), ``clickhouse/data/`` (databases and tables), plus the shared log and pid files.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import string
import subprocess
import sys
import tempfile
import xml.sax.saxutils
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from infra.clickhouse.server import MARKER
from infra.stack.base import NativeService, StackError, pid_alive, port_open, wait_for
from socialpulse.settings import REPO_ROOT

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

PINNED_VERSION = "26.9.0"
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "clickhouse"
_USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ClickHouseService(NativeService):
    name = "clickhouse"
    start_timeout_s = 60.0
    stop_timeout_s = 30.0

    # --- paths -------------------------------------------------------------------------
    @property
    def config_dir(self) -> Path:
        return self.data_dir / "config"

    @property
    def db_dir(self) -> Path:
        """Where databases and tables live (``path=`` of the LocalServer)."""
        return self.data_dir / "data"

    @property
    def url(self) -> str:
        return f"http://{self.settings.clickhouse_host}:{self.settings.clickhouse_http_port}"

    # --- install -----------------------------------------------------------------------
    def install(self) -> None:
        """Check that chdb-core is the pinned version and really imports (no download)."""
        try:
            installed = importlib.metadata.version("chdb-core")
        except importlib.metadata.PackageNotFoundError:
            raise StackError(
                f"chdb-core is not installed in {sys.executable}; run `uv sync --all-groups`"
            ) from None
        if installed != PINNED_VERSION:
            raise StackError(
                f"chdb-core {installed} is installed but {PINNED_VERSION} is pinned (the server "
                "relies on a low-level entry point); run `uv sync --all-groups`"
            )
        stamp = self.cache_dir / "verified.json"
        key = _install_key(installed)
        try:
            recorded = json.loads(stamp.read_text())
            if {k: recorded.get(k) for k in key} == key:
                return
        except (FileNotFoundError, ValueError, AttributeError):
            pass
        # Import in a child from a neutral cwd: importing chdb loads the whole engine (~400 MB)
        # and opens an embedded session, neither of which belongs in the stack manager.
        with tempfile.TemporaryDirectory() as cwd:
            proc = subprocess.run(
                [sys.executable, "-c", "import chdb; print(chdb.__version__, chdb.engine_version)"],
                capture_output=True,
                text=True,
                cwd=cwd,
                timeout=120,
                check=False,
            )
        if proc.returncode != 0 or not proc.stdout.startswith(PINNED_VERSION):
            raise StackError(f"chdb-core {PINNED_VERSION} does not import:\n{proc.stderr[-2000:]}")
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps({**key, "engine": proc.stdout.split()[-1]}))

    # --- start / stop ------------------------------------------------------------------
    def start(self) -> None:
        if self._healthy_quietly():
            if self.pid() is None or self.config_is_current():
                return
            # ours, started from an older users.xml/config.xml template or .env: LocalServer
            # cannot reload its config, so a restart is the only way to apply the change
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            with self.log_file.open("a") as log:
                log.write("=== config changed since the server started: restarting to apply it\n")
            self.stop()
        s = self.settings
        if self.pid() is not None:
            if self._ping():
                raise StackError(
                    f"ClickHouse on {self.url} answers /ping but refuses {s.clickhouse_user!r} "
                    "(credentials in .env changed since it started?); stop it and start again"
                )
            self.wait_healthy()  # our process is still starting up
            return
        self.refuse_taken_ports(
            s.clickhouse_host,
            {
                "CLICKHOUSE_HTTP_PORT": s.clickhouse_http_port,
                "CLICKHOUSE_TCP_PORT": s.clickhouse_tcp_port,
            },
        )
        self.install()
        self.render_config()
        self.db_dir.mkdir(parents=True, exist_ok=True)
        self.spawn(
            [
                sys.executable,
                "-m",
                "infra.clickhouse.server",
                "--config-dir",
                self.config_dir,
                "--data-dir",
                self.db_dir,
            ],
            cwd=REPO_ROOT,  # so that `-m infra.clickhouse.server` resolves
        )
        self.wait_healthy()

    def stop(self) -> None:
        """KILL the listener's marker query as the pipeline user; SIGTERM only as a fallback.

        Running queries finish first. Open client connections (idle keep-alive HTTP sessions,
        native TCP clients) make the engine wait ~5 s and then exit by itself with status 1
        and no closing log line; committed MergeTree data is on disk either way.
        """
        pid = self.pid()
        if pid is None and not port_open(
            self.settings.clickhouse_host, self.settings.clickhouse_http_port
        ):
            self.pid_file.unlink(missing_ok=True)
            return
        killed = False
        try:
            # Targeted: an untargeted KILL QUERY would also work but could hit other queries;
            # `NOT LIKE '%KILL%'` keeps the KILL from matching itself.
            answer = self._query(
                f"KILL QUERY WHERE query LIKE '%{MARKER}%' AND query NOT LIKE '%KILL%' FORMAT TSV",
                timeout_s=10,
            )
            killed = bool(answer.strip())
        except (httpx.HTTPError, StackError):
            killed = False
        if pid is None:
            # No pid file: stop a server of ours that answered the KILL (e.g. the pid file was
            # removed) by waiting for its port to close; anything else on the port is not ours.
            host, port = self.settings.clickhouse_host, self.settings.clickhouse_http_port
            if killed and not wait_for(lambda: not port_open(host, port), self.stop_timeout_s):
                raise StackError(f"ClickHouse on {self.url} did not stop on KILL QUERY")
            self.pid_file.unlink(missing_ok=True)
            return
        if not (killed and wait_for(lambda: not pid_alive(pid), self.stop_timeout_s)):
            self.terminate()  # SIGTERM: a hard stop of the LocalServer
        self.pid_file.unlink(missing_ok=True)

    # --- health / version --------------------------------------------------------------
    def health(self) -> bool:
        """``/ping`` answers ``Ok.`` and the pipeline user can run ``SELECT 1``."""
        return self._ping() and self._query("SELECT 1", timeout_s=5).strip() == "1"

    def version(self) -> str:
        if self._healthy_quietly():
            return self._query("SELECT version()", timeout_s=5).strip()
        return f"{PINNED_VERSION} (chdb-core)"

    # --- clients -----------------------------------------------------------------------
    def client(self, *, analyst: bool = False, **kwargs: Any) -> Client:
        """A clickhouse-connect (HTTP) client as the pipeline user (or the analyst)."""
        import clickhouse_connect

        s = self.settings
        user, password = (
            (s.clickhouse_analyst_user, s.clickhouse_analyst_password)
            if analyst
            else (s.clickhouse_user, s.clickhouse_password)
        )
        return clickhouse_connect.get_client(
            host=s.clickhouse_host,
            port=s.clickhouse_http_port,
            username=user,
            password=password.get_secret_value(),
            **kwargs,
        )

    # --- helpers -----------------------------------------------------------------------
    def render_config(self) -> None:
        """Write config.xml and users.xml (password hashes only) into the config dir."""
        rendered = self.rendered_config()
        self.config_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.config_dir, 0o700)
        for path, text in rendered.items():
            _write_private(path, text)

    def config_is_current(self) -> bool:
        """Whether the config dir holds what the templates and settings render now."""
        return all(
            path.exists() and path.read_text() == text
            for path, text in self.rendered_config().items()
        )

    def rendered_config(self) -> dict[Path, str]:
        """config.xml and users.xml as the templates and the settings make them."""
        s = self.settings
        users = {"pipeline": s.clickhouse_user, "analyst": s.clickhouse_analyst_user}
        for role, user in users.items():
            if not _USER_NAME.fullmatch(user) or user == "default":
                raise StackError(f"invalid ClickHouse {role} user name {user!r} in .env")
        if users["pipeline"] == users["analyst"]:
            raise StackError("CLICKHOUSE_USER and CLICKHOUSE_ANALYST_USER must differ")
        passwords = {
            "CLICKHOUSE_PASSWORD": s.clickhouse_password.get_secret_value(),
            "CLICKHOUSE_ANALYST_PASSWORD": s.clickhouse_analyst_password.get_secret_value(),
        }
        for env_name, password in passwords.items():
            if not password:
                raise StackError(f"{env_name} is empty; run `socialpulse init-env` (make setup)")
        users_xml = self.config_dir / "users.xml"
        return {
            self.config_dir / "config.xml": _render(
                "config.xml",
                host=s.clickhouse_host,
                http_port=s.clickhouse_http_port,
                tcp_port=s.clickhouse_tcp_port,
                users_xml=users_xml,
                pg_host=_xml_text(s.postgres_host),
                pg_port=s.postgres_port,
                pg_user=_xml_text(s.postgres_user),
                pg_password=_xml_text(s.postgres_password.get_secret_value()),
                pg_database=_xml_text(s.postgres_db),
            ),
            users_xml: _render(
                "users.xml",
                pipeline_user=users["pipeline"],
                pipeline_password_sha256=_sha256(passwords["CLICKHOUSE_PASSWORD"]),
                analyst_user=users["analyst"],
                analyst_password_sha256=_sha256(passwords["CLICKHOUSE_ANALYST_PASSWORD"]),
            ),
        }

    def _query(self, sql: str, *, timeout_s: float) -> str:
        """Run ``sql`` over HTTP as the pipeline user; the body, or StackError on an error."""
        s = self.settings
        response = httpx.post(
            self.url,
            content=sql.encode(),
            headers={
                "X-ClickHouse-User": s.clickhouse_user,
                "X-ClickHouse-Key": s.clickhouse_password.get_secret_value(),
            },
            timeout=timeout_s,
        )
        if response.status_code != 200:
            raise StackError(f"ClickHouse refused {sql[:60]!r}: {response.text.strip()[:500]}")
        return response.text

    def _ping(self) -> bool:
        try:
            ping = httpx.get(f"{self.url}/ping", timeout=2.0)
        except httpx.HTTPError:
            return False
        return ping.status_code == 200 and ping.text.strip() == "Ok."

    def _healthy_quietly(self) -> bool:
        try:
            return self.health()
        except (httpx.HTTPError, StackError):
            return False


def _install_key(version: str) -> dict[str, Any]:
    """What a verified import depends on: interpreter, wheel version, engine library file."""
    files = importlib.metadata.files("chdb-core") or []
    lib = next((f for f in files if f.name.startswith("_chdb") and f.suffix == ".so"), None)
    lib_stat = Path(str(lib.locate())).stat() if lib is not None else None
    return {
        "python": sys.executable,
        "version": version,
        "lib_mtime": lib_stat.st_mtime if lib_stat else None,
        "lib_size": lib_stat.st_size if lib_stat else None,
    }


def _render(template: str, **values: object) -> str:
    text = (TEMPLATE_DIR / template).read_text()
    return string.Template(text).substitute({k: str(v) for k, v in values.items()})


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(path)


def _xml_text(value: str) -> str:
    return xml.sax.saxutils.escape(value)


def _sha256(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()
