"""Drive the dbt docs site in headless Chromium: read a model's lineage graph, screenshot it.

Used by the docs-site test and by ``python -m socialpulse.transform.docs screenshot``.
Needs Debian's ``chromium`` and ``chromedriver`` (``/usr/bin``) and ``selenium``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

# The docs app is AngularJS: its `graph` service holds the lineage graph being shown.
_GRAPH_NODES_JS = """
var graph = angular.element(document.body).injector().get('graph');
return (graph.graph.elements || [])
    .filter(function (e) { return e.group !== 'edges' && e.data && e.data.unique_id; })
    .map(function (e) { return e.data.unique_id; });
"""
_OPEN_LINEAGE_JS = """
angular.element(document.querySelector('[ng-click="onLauncherClick()"]')).triggerHandler('click');
"""
_EXPAND_JS = """
angular.element(document.querySelector('[ng-click="showExpanded()"]')).triggerHandler('click');
"""


@contextmanager
def chromium(
    size: tuple[int, int] = (1600, 1000), extra_flags: tuple[str, ...] = ()
) -> Iterator[Any]:
    """A headless Chromium WebDriver of ``size`` with a fresh profile directory."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for tool in (CHROMIUM, CHROMEDRIVER):
        if not Path(tool).exists():
            raise FileNotFoundError(f"{tool} is missing: apt-get install chromium chromium-driver")
    width, height = size
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, *extra_flags, f"--window-size={width},{height}"):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            driver.set_window_size(width, height)
            yield driver
        finally:
            driver.quit()


def _wait(driver: Any, script: str, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = driver.execute_script(script)
        except Exception:  # the app is still booting (angular not there yet)
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"dbt docs did not get ready in {timeout_s:.0f} s")
        time.sleep(0.5)


def lineage_nodes(
    driver: Any, base_url: str, model: str, project: str = "socialpulse", timeout_s: float = 60
) -> list[str]:
    """Open ``model``'s page, open its lineage graph, and return the unique ids it shows."""
    driver.get(f"{base_url}/#!/model/model.{project}.{model}")
    _wait(driver, "return !!document.querySelector('[ng-click=\"onLauncherClick()\"]')", timeout_s)
    _wait(driver, "return angular.element(document.body).injector().get('graph').loaded", timeout_s)
    driver.execute_script(_OPEN_LINEAGE_JS)
    return list(_wait(driver, _GRAPH_NODES_JS, timeout_s))


def lineage_screenshot(
    driver: Any, base_url: str, model: str, path: Path, project: str = "socialpulse"
) -> list[str]:
    """Screenshot ``model``'s lineage graph, full window, to ``path``; returns its nodes."""
    nodes = lineage_nodes(driver, base_url, model, project)
    driver.execute_script(_EXPAND_JS)
    time.sleep(2)  # the graph re-layouts after expanding
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return nodes
