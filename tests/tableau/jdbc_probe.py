"""Build and run the Java JDBC probe (tests/jdbc) with the ClickHouse JDBC driver.

The build runs once per driver version and source state: Maven resolves the driver into
``<cache>/jdbc/m2`` and compiles into ``<cache>/jdbc/build-<version>-<hash>`` (the hash of
the pom and the Java sources), never into the work tree; later runs reuse it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialpulse.settings import REPO_ROOT, Settings

PROBE_DIR = REPO_ROOT / "tests" / "jdbc"
MAIN_CLASS = "io.socialpulse.jdbc.JdbcProbe"
#: what Tableau's ClickHouse connector needs: "version 0.9.X required", the single
#: all-dependencies jar in Tableau's Drivers folder (docs/tableau.md says why this one)
TABLEAU_DRIVER = ("0.9.9", "all-dependencies")


@dataclass(frozen=True)
class Probe:
    version: str
    classpath: str

    def run(
        self, plan: Sequence[Sequence[str]], password: str, timeout_s: float = 300
    ) -> list[dict[str, Any]]:
        """Run the plan steps (tab-joined fields); the JSON events the probe printed."""
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("java is not on PATH: apt-get install openjdk-17-jdk-headless")
        for step in plan:
            if any("\t" in f or "\n" in f for f in step):
                raise ValueError(f"a plan field holds a tab or newline: {step}")
        text = "".join("\t".join(step) + "\n" for step in plan)
        plan_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"jdbc-plan-{os.getpid()}.tsv"
        plan_file.write_text(text, encoding="utf-8")
        try:
            proc = subprocess.run(
                [java, "-cp", self.classpath, MAIN_CLASS, str(plan_file)],
                env={**os.environ, "SP_JDBC_PASSWORD": password},
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        finally:
            plan_file.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise RuntimeError(f"the JDBC probe failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([PROBE_DIR / "pom.xml", *PROBE_DIR.glob("src/**/*.java")]):
        digest.update(path.relative_to(PROBE_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(settings: Settings, version: str, classifier: str) -> Probe:
    """Compile the probe against ``clickhouse-jdbc:<version>:<classifier>`` (cached)."""
    cache = settings.cache_dir / "jdbc"
    build_dir = cache / f"build-{version}-{_source_hash()}"
    marker = build_dir / ".built"
    classpath = f"{build_dir / 'classes'}:{build_dir / 'lib'}/*"
    if marker.exists():
        return Probe(version, classpath)
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven builds the JDBC probe: apt-get install maven")
    with _locked(cache / ".build.lock"):
        if marker.exists():
            return Probe(version, classpath)
        for stale in cache.glob(f"build-{version}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        proc = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "--no-transfer-progress",
                "-f",
                str(PROBE_DIR / "pom.xml"),
                "package",
                "dependency:copy-dependencies",
                f"-Dmaven.repo.local={cache / 'm2'}",
                f"-Dsocialpulse.build.dir={build_dir}",
                f"-Dclickhouse.jdbc.version={version}",
                f"-Dclickhouse.jdbc.classifier={classifier}",
            ],
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
            cwd=cache,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"building the JDBC probe failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
            )
        if not list((build_dir / "lib").glob("clickhouse-jdbc-*.jar")):
            raise RuntimeError(f"Maven copied no clickhouse-jdbc jar into {build_dir / 'lib'}")
        marker.write_text(f"clickhouse-jdbc {version} {classifier}\n")
    return Probe(version, classpath)
