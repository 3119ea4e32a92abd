"""The dbt docs site, generated from the test vault and served locally, shows the lineage
raw source -> staging model -> vault tables in headless Chromium."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_DB, VaultWorld

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings
from socialpulse.transform.docs import generate, serving
from socialpulse.transform.docs_browser import CHROMEDRIVER, CHROMIUM
from socialpulse.transform.marts import drop_marts_databases

pytestmark = [pytest.mark.stack, pytest.mark.slow]

DOCS_PREFIX = "docs_test_"


@pytest.fixture(scope="module")
def site(
    vault_world: VaultWorld,
    settings: Settings,
    started_service: Callable[[str], Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    started_service("clickhouse")  # the catalog is read through ClickHouse (target ch)
    # its own target path: the vault tests read the build's run_results/manifest
    yield generate(
        target_path=tmp_path_factory.mktemp("docs_target"),
        env=vault_world.env,
        prefix=DOCS_PREFIX,
        pg_database=TEST_DB,
    )
    drop_marts_databases(ClickHouseService(settings).client(), DOCS_PREFIX)


def test_docs_site_serves_manifest_and_catalog(site: Path) -> None:
    with serving(site) as url:
        with urllib.request.urlopen(f"{url}/index.html", timeout=10) as resp:
            assert resp.status == 200
            assert b"dbt" in resp.read(5000)
        with urllib.request.urlopen(f"{url}/catalog.json", timeout=10) as resp:
            catalog = json.loads(resp.read())
    # The catalog has the warehouse's column types of the vault tables (through the mirrors).
    assert "model.socialpulse.hub_user" in catalog["nodes"]
    # One lineage raw -> staging -> vault -> marts in the manifest the site serves.
    manifest = json.loads((site / "manifest.json").read_text())
    mart = manifest["nodes"]["model.socialpulse.mart_user_profile"]
    assert "model.socialpulse.hub_user" in mart["depends_on"]["nodes"]


@pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="Debian chromium + chromedriver are not installed (see docs/data_vault.md)",
)
def test_lineage_graph_shows_raw_to_staging_to_vault(site: Path, tmp_path: Path) -> None:
    from socialpulse.transform.docs_browser import chromium, lineage_screenshot

    shot = tmp_path / "lineage.png"
    with serving(site) as url, chromium() as driver:
        nodes = lineage_screenshot(driver, url, "stg_events__user_registered", shot)
    assert {
        "source.socialpulse.raw.evt_user_registered",
        "model.socialpulse.stg_events__user_registered",
        "model.socialpulse.hub_user",
        "model.socialpulse.sat_user_details",
    } <= set(nodes)
    assert shot.stat().st_size > 20_000  # a rendered graph, not a blank page
