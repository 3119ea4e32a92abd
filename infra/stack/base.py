"""The small interface every native service implements, and the process plumbing they share.

A service is installed once into the cache (``~/.cache/socialpulse``), keeps its data under
the project's state dir (``.state/<name>``), writes one log file (``.state/logs/<name>.log``)
and a pid file (``.state/run/<name>.pid``). ``start`` and ``install`` are idempotent: a
second call reuses what is installed or running.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from socialpulse.settings import Settings


class StackError(RuntimeError):
    """A native service could not be installed, started or stopped; the message says what next."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    version: str
    url: str
    healthy: bool
    pid: int | None


class NativeService(ABC):
    """One real service run natively on 127.0.0.1."""

    name: str
    start_timeout_s: float = 120.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    # --- paths -------------------------------------------------------------------------
    @property
    def cache_dir(self) -> Path:
        return self.settings.cache_dir / self.name

    @property
    def data_dir(self) -> Path:
        return self.settings.state_dir / self.name

    @property
    def log_file(self) -> Path:
        return self.settings.state_dir / "logs" / f"{self.name}.log"

    @property
    def pid_file(self) -> Path:
        return self.settings.state_dir / "run" / f"{self.name}.pid"

    # --- the interface ------------------------------------------------------------------
    @abstractmethod
    def install(self) -> None:
        """Fetch/build the service into the cache unless it is already there."""

    @abstractmethod
    def start(self) -> None:
        """Start the service (installing first) unless it already answers; wait for health."""

    @abstractmethod
    def health(self) -> bool:
        """True when the service answers a real request on its protocol."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the service gracefully; a no-op when it is not running."""

    @abstractmethod
    def version(self) -> str:
        """The version of the installed service (pinned), as the service reports it if possible."""

    @property
    @abstractmethod
    def url(self) -> str:
        """Where clients reach it."""

    # --- shared behaviour ----------------------------------------------------------------
    def pid(self) -> int | None:
        """The pid from the pid file if that process is alive."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def status(self) -> ServiceStatus:
        try:
            healthy = self.health()
        except Exception:
            healthy = False
        try:
            version = self.version()
        except Exception:
            version = "not installed"
        return ServiceStatus(self.name, version, self.url, healthy, self.pid())

    def refuse_taken_ports(self, host: str, ports: Mapping[str, int]) -> None:
        """Before a start: fail clearly if another program holds one of our ports.

        ``ports`` maps each setting's variable name to its port, so the message says what
        to change.
        """
        for variable, port in ports.items():
            if port_open(host, port):
                raise StackError(
                    f"{host}:{port} is taken by another program (not a healthy SocialPulse "
                    f"{self.name}); stop it or set {variable} in .env"
                )

    def spawn(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        user: str | None = None,
    ) -> int:
        """Start ``argv`` detached (own session), output appended to the log, pid recorded."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        full_env = {**os.environ, **(env or {})}
        with self.log_file.open("ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} start {argv[0]}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                [str(a) for a in argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=cwd,
                user=user,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def wait_healthy(
        self, timeout_s: float | None = None, probe: Callable[[], bool] | None = None
    ) -> None:
        """Poll ``probe`` (default: ``health``) until it answers; fail with the log tail if not."""
        check = probe or self.health
        deadline = time.monotonic() + (timeout_s or self.start_timeout_s)
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if check():
                    return
            pid = self.pid()
            if pid is None and self.pid_file.exists():
                raise StackError(
                    f"{self.name} exited during start-up; see {self.log_file}:\n{self.log_tail()}"
                )
            time.sleep(0.5)
        raise StackError(
            f"{self.name} did not become healthy within {timeout_s or self.start_timeout_s:.0f}s; "
            f"see {self.log_file}:\n{self.log_tail()}"
        )

    def terminate(self, sig: int = signal.SIGTERM, timeout_s: float = 60.0) -> None:
        """Send ``sig`` to the recorded process group and wait for it to exit."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        if not wait_for(lambda: not pid_alive(pid), timeout_s):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            wait_for(lambda: not pid_alive(pid), 10)
        self.pid_file.unlink(missing_ok=True)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log yet)"


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def wait_for(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


def run(
    argv: Sequence[str | os.PathLike[str]], **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run a short install/admin command; raise StackError with its output if it fails."""
    proc = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )
    if proc.returncode != 0:
        raise StackError(
            f"command failed ({proc.returncode}): {' '.join(map(str, argv))}\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return proc
