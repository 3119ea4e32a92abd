"""MinIO built from source through the Go module proxy: one single-drive server on 127.0.0.1.

The community edition ships as source only, so ``install`` compiles the pinned module with the
local Go toolchain (``go install``; a ``go build`` of a writable copy of the module if
``go install`` refuses) and caches the binary under ``<cache>/minio/<version>/minio``. The data
lives under ``<state>/minio``; the S3 API listens on ``minio_port`` and the web console on
``minio_console_port``. ``start`` also creates the project's bucket.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from minio import Minio
from minio.error import S3Error

from infra.stack.base import NativeService, StackError, run
from socialpulse.settings import Settings

MINIO_MODULE = "github.com/minio/minio"
# Pinned MinIO server source. The community repository is archived ("no longer maintained");
# this pseudo-version is its final commit (2026-02-12), which contains the last community
# release RELEASE.2025-10-15T17-29-55Z (= v0.0.0-20251015172955-9e49d5e7a648) plus the fixes
# merged after it. The module proxy reachable from the project's machines serves only this
# version of the module (older pseudo-versions and RELEASE.* tag queries answer 403), so it is
# the one that builds everywhere. MinIO's RELEASE.* tags are not semver, so a pin is always a
# pseudo-version. A ``go install`` build reports DEVELOPMENT.GOGET as its own version.
MINIO_VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"

# Go's own error when `go install pkg@version` meets replace/exclude directives in go.mod.
_REPLACE_REFUSAL = re.compile(r"replace directives|exclude directives|must not contain directives")
_VERSION_LINE = re.compile(r"minio version (\S+)")
_NOT_READY_CODES = {"XMinioServerNotInitialized", "XMinioStorageFull", "ServiceUnavailable"}


def go_binary() -> Path | None:
    """The ``go`` command: on PATH, or where the official tarball installs it."""
    found = shutil.which("go")
    if found:
        return Path(found)
    fallback = Path("/usr/local/go/bin/go")
    return fallback if fallback.exists() else None


class MinioService(NativeService):
    name = "minio"
    start_timeout_s = 60.0
    health_timeout_s = 2.0

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._version: str | None = None

    # --- paths and endpoints ---------------------------------------------------------------
    @property
    def binary(self) -> Path:
        return self.cache_dir / MINIO_VERSION / "minio"

    @property
    def url(self) -> str:
        return f"http://{self.settings.minio_host}:{self.settings.minio_port}"

    @property
    def console_url(self) -> str:
        return f"http://{self.settings.minio_host}:{self.settings.minio_console_port}"

    def client(self) -> Minio:
        """An S3 client for this server with the root credentials."""
        s = self.settings
        return Minio(
            s.minio_endpoint,
            access_key=s.minio_root_user,
            secret_key=s.minio_root_password.get_secret_value(),
            secure=False,
        )

    # --- install -----------------------------------------------------------------------------
    def install(self) -> None:
        if _is_executable(self.binary):
            return
        go = go_binary()
        if go is None:
            raise StackError(
                "Go is needed to build MinIO from source: install Go >= 1.24 "
                "(https://go.dev/doc/install) and retry `socialpulse stack install`"
            )
        version_dir = self.binary.parent
        version_dir.mkdir(parents=True, exist_ok=True)
        with _file_lock(version_dir / ".build.lock"):
            if _is_executable(self.binary):  # another process built it while we waited
                return
            started = time.monotonic()
            with tempfile.TemporaryDirectory(prefix=".build-", dir=version_dir) as tmp:
                built = self._build(go, Path(tmp))
                os.replace(built, self.binary)  # atomic: never a half-written binary
            self._log(f"built {MINIO_MODULE}@{MINIO_VERSION} in {time.monotonic() - started:.0f}s")

    def _build(self, go: Path, tmp: Path) -> Path:
        """Compile the pinned server into ``tmp`` and return the binary's path."""
        gobin = tmp / "bin"
        gobin.mkdir()
        env = {
            **os.environ,
            "GOBIN": str(gobin),
            "CGO_ENABLED": "0",
            "GOTOOLCHAIN": "local",  # never download another toolchain
            "GOFLAGS": "-buildvcs=false",
            "GO111MODULE": "on",
        }
        target = f"{MINIO_MODULE}@{MINIO_VERSION}"
        try:
            # cwd=tmp: no go.mod/go.work of ours is in the way of a module-mode install.
            run([go, "install", target], env=env, cwd=tmp)
            return gobin / "minio"
        except StackError as exc:
            if not _REPLACE_REFUSAL.search(str(exc)):
                raise StackError(f"building MinIO failed: {exc}") from exc
        # go.mod has replace directives: build a writable copy of the downloaded module.
        info = json.loads(run([go, "mod", "download", "-json", target], env=env, cwd=tmp).stdout)
        src = tmp / "src"
        shutil.copytree(info["Dir"], src)
        for path in [src, *src.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
        run([go, "build", "-o", gobin / "minio", "."], env=env, cwd=src)
        return gobin / "minio"

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self.health():
            self.ensure_bucket()
            return
        s = self.settings
        if self.pid() is None:
            self.refuse_taken_ports(
                s.minio_host,
                {"MINIO_PORT": s.minio_port, "MINIO_CONSOLE_PORT": s.minio_console_port},
            )
            self._check_credentials()
            self.install()
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.spawn(
                [
                    self.binary,
                    "server",
                    self.data_dir,
                    "--address",
                    f"{s.minio_host}:{s.minio_port}",
                    "--console-address",
                    f"{s.minio_host}:{s.minio_console_port}",
                    "--anonymous",  # keep credentials out of the log
                ],
                env={
                    "MINIO_ROOT_USER": s.minio_root_user,
                    "MINIO_ROOT_PASSWORD": s.minio_root_password.get_secret_value(),
                    "MINIO_BROWSER": "on",
                    "MINIO_BROWSER_REDIRECT_URL": self.console_url,
                    "MINIO_UPDATE": "off",
                    "MINIO_CALLHOME_ENABLE": "off",
                },
            )
        self.wait_healthy()
        self.ensure_bucket()

    def ensure_bucket(self, timeout_s: float = 30.0) -> None:
        """Create ``settings.minio_bucket`` unless it exists (retrying while MinIO warms up)."""
        bucket = self.settings.minio_bucket
        client = self.client()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if not client.bucket_exists(bucket):
                    client.make_bucket(bucket)
                return
            except S3Error as exc:
                if exc.code in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    return
                if exc.code not in _NOT_READY_CODES or time.monotonic() > deadline:
                    raise StackError(f"could not create MinIO bucket {bucket!r}: {exc}") from exc
            time.sleep(0.5)

    def health(self) -> bool:
        """True when MinIO is live and ready to serve S3 requests (single drive online)."""
        try:
            with httpx.Client(base_url=self.url, timeout=self.health_timeout_s) as http:
                return all(
                    http.get(path).status_code == 200
                    for path in ("/minio/health/live", "/minio/health/ready")
                )
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        self.terminate(signal.SIGTERM, timeout_s=30.0)

    def version(self) -> str:
        """The pinned module version, unless the binary carries a real release tag."""
        if self._version is None:
            if not _is_executable(self.binary):
                raise StackError(f"MinIO {MINIO_VERSION} is not installed at {self.binary}")
            out = run([self.binary, "--version"]).stdout
            match = _VERSION_LINE.search(out)
            tag = match.group(1) if match else ""
            self._version = tag if tag.startswith("RELEASE.") else MINIO_VERSION
        return self._version

    # --- helpers -----------------------------------------------------------------------------
    def _check_credentials(self) -> None:
        s = self.settings
        if len(s.minio_root_user) < 3 or len(s.minio_root_password.get_secret_value()) < 8:
            raise StackError(
                "MinIO needs MINIO_ROOT_USER (>= 3 chars) and MINIO_ROOT_PASSWORD (>= 8 chars); "
                "set them in .env (`socialpulse init-env` writes one)"
            )

    def _log(self, message: str) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a") as log:
            log.write(f"=== {time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so two processes never build the same version at once."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
