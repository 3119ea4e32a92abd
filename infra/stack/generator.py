"""The live generator: ``socialpulse generate run`` as a service (compose: service ``generator``).

It writes the object of each wall-clock minute that just ended into MinIO and saves its world
after every minute (``<state_dir>/generator/<GENERATOR_WORLD>.pkl.gz``), so a restart continues
the same world without repeating or skipping a minute. SIGTERM finishes the current minute,
flushes the uploads and saves the state.
"""

from __future__ import annotations

import importlib.metadata
import os
import signal
import sys
import time
from pathlib import Path

from infra.stack.base import NativeService, pid_alive, wait_for
from infra.stack.registry import service
from socialpulse.settings import REPO_ROOT

#: The world is saved after every minute: older than this, the generator is stuck or gone.
STALE_AFTER_S = 150.0


class GeneratorService(NativeService):
    name = "generator"
    start_timeout_s = 180.0  # a long stop means minutes to catch up before the first save

    @property
    def url(self) -> str:
        s = self.settings
        return f"s3://{s.minio_bucket}/events/ (world {s.generator_world})"

    @property
    def state_file(self) -> Path:
        from generator.state import state_path

        return state_path(self.settings, self.settings.generator_world)

    def argv(self) -> list[str]:
        s = self.settings
        return [
            sys.executable, "-m", "socialpulse.cli", "generate", "run",
            "--name", s.generator_world, "--users", str(s.generator_users),
            "--seed", str(s.generator_seed), "--dirty-rate", str(s.generator_dirty_rate),
            "--minute-seconds", str(s.generator_minute_seconds),
        ]  # fmt: skip

    def install(self) -> None:
        # Our own package: nothing to fetch beyond `uv sync`.
        importlib.metadata.version("socialpulse")

    def start(self) -> None:
        if self.pid() is not None:
            return
        service("minio", self.settings).start()
        started = time.time()
        self.spawn(self.argv(), env=self.settings.as_env(), cwd=REPO_ROOT)
        self.wait_healthy(probe=lambda: self._saved_since(started))

    def _saved_since(self, when: float) -> bool:
        try:
            return self.state_file.stat().st_mtime >= when
        except FileNotFoundError:
            return False

    def health(self) -> bool:
        """It saved its world within the last minutes (it saves after every minute it writes;
        in a container, where no pid file is kept, this is the whole check)."""
        return self._saved_since(time.time() - STALE_AFTER_S)

    def stop(self) -> None:
        # SIGTERM: finish the current minute, flush, save (up to a minute of work).
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        os.kill(pid, signal.SIGTERM)
        if not wait_for(lambda: not pid_alive(pid), 90):
            self.terminate(signal.SIGKILL, timeout_s=10)
        self.pid_file.unlink(missing_ok=True)

    def serve_foreground(self) -> None:
        """Replace this process with the generator (containers: compose's generator)."""
        argv = self.argv()
        os.execv(argv[0], argv)

    def version(self) -> str:
        return importlib.metadata.version("socialpulse")
