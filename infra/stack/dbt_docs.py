"""The dbt docs site as a service (compose: service ``dbt-docs``).

Serves the site on ``DBT_DOCS_PORT`` and regenerates it after each completed ``transform`` run
(:class:`socialpulse.transform.docs.LiveSite`). Generation runs at a lower CPU priority than
the pipeline: the docs may lag a run behind, the marts never wait for them.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import os
import signal
import sys

import httpx

from infra.stack.base import NativeService
from infra.stack.registry import service
from socialpulse.settings import REPO_ROOT

#: Generation is background work: yield the CPU to ingestion and transform runs.
NICENESS = 10


class DbtDocsService(NativeService):
    name = "dbt-docs"
    start_timeout_s = 300.0  # the first start generates the site (dbt docs generate)

    @property
    def url(self) -> str:
        return self.settings.dbt_docs_url

    def install(self) -> None:
        importlib.metadata.version("dbt-core")

    def start(self) -> None:
        if self.health():
            return
        for dependency in ("postgres", "clickhouse"):
            service(dependency, self.settings).start()
        if self.pid() is None:
            s = self.settings
            self.refuse_taken_ports(s.dbt_docs_host, {"DBT_DOCS_PORT": s.dbt_docs_port})
            self.spawn(
                [sys.executable, "-m", "socialpulse.cli", "stack", "serve", self.name],
                env=self.settings.as_env(),
                cwd=REPO_ROOT,
            )
        self.wait_healthy()

    def health(self) -> bool:
        try:
            resp = httpx.get(f"{self.url}/catalog.json", timeout=3)
        except httpx.HTTPError:
            return False
        return resp.status_code == 200

    def stop(self) -> None:
        self.terminate(signal.SIGTERM, timeout_s=30)

    def serve_foreground(self) -> None:
        """Serve and refresh in this process (containers: compose's dbt-docs)."""
        from socialpulse.transform.docs import LiveSite

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        with contextlib.suppress(OSError):
            os.nice(NICENESS)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        s = self.settings
        LiveSite(s).serve_forever(s.dbt_docs_host, s.dbt_docs_port)

    def version(self) -> str:
        return f"dbt-core {importlib.metadata.version('dbt-core')}"
