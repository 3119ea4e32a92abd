"""Record the running SocialPulse as a captioned walkthrough video (``make walkthrough``).

    python -m socialpulse.tableau.walkthrough                      # docs/media/walkthrough.mp4
    python -m socialpulse.tableau.walkthrough --list               # the scenes, in order
    python -m socialpulse.tableau.walkthrough --scenes airflow_dags,minio_files --out /tmp/x.mp4

Drives the live system in headless Chromium (Debian ``chromium`` + ``chromedriver``, through
Selenium), takes screenshots, writes a caption bar onto each (Pillow) and joins them with
``ffmpeg`` into an H.264 MP4, each picture held as long as its scene says. The stack must be
running with data in it (``make demo``, or the live pipeline); the dbt docs site is read from
``--docs-url`` (``make docs`` serves it on :8081), or served from ``dbt_project/target`` when
nothing answers there and the site was generated.

Every scene must succeed: one that cannot show what it should (a page that does not load,
a DAG run that fails, a missing file) stops the run with the scene named, and no video is
written. ``SCENES`` is the list to edit: a scene is a name, a caption, and a function that
takes its pictures with :class:`Recorder`.
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from socialpulse.settings import REPO_ROOT, Settings, get_settings
from socialpulse.transform.docs_browser import chromium

DEFAULT_OUT = REPO_ROOT / "docs" / "media" / "walkthrough.mp4"
DEFAULT_DOCS_URL = "http://127.0.0.1:8081"
#: on top of the docs browser's flags: no QUIC, no scrollbars in the picture
BROWSER_FLAGS = ("--disable-quic", "--hide-scrollbars")
WIDTH, HEIGHT = 1440, 900  # the browser window; the video is scaled to 1280x800
VIDEO_SIZE = "1280:800"
CAPTION_H = 84
MIN_SECONDS, MAX_SECONDS = 180, 300  # the walkthrough is 3-5 minutes
MAX_BYTES = 30 * 2**20


def _js(value: str) -> str:
    """A JavaScript string literal."""
    return json.dumps(value)


class SceneError(RuntimeError):
    """A scene could not show what it should; the message says which and why."""


@dataclass
class Frame:
    image: Path
    seconds: float
    caption: str


@dataclass
class Recorder:
    """The browser and the pictures taken so far (with how long each is shown)."""

    driver: Any
    settings: Settings
    frames_dir: Path
    docs_url: str
    frames: list[Frame] = field(default_factory=list)
    caption: str = ""

    # --- the browser --------------------------------------------------------------------
    def open(self, url: str, *, ready: str | None = None, timeout_s: float = 60) -> None:
        """Load ``url``; wait until ``ready`` (a CSS selector) is on the page."""
        self.driver.get(url)
        if ready:
            self.wait_css(ready, timeout_s)

    def wait_css(self, selector: str, timeout_s: float = 60) -> Any:
        return self.wait_js(f"return document.querySelector({_js(selector)})", timeout_s, selector)

    def wait_text(self, text: str, timeout_s: float = 60) -> None:
        self.wait_js(
            f"return document.body && document.body.innerText.includes({_js(text)})",
            timeout_s,
            f"the text {text!r}",
        )

    def wait_js(self, script: str, timeout_s: float = 60, what: str = "the page") -> Any:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                value = self.driver.execute_script(script)
            except Exception:  # the page is still loading its scripts
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise SceneError(
                    f"{what} did not appear on {self.driver.current_url} within {timeout_s:.0f} s"
                )
            time.sleep(0.5)

    def type(self, selector: str, text: str) -> None:
        element = self.wait_css(selector)
        element.clear()
        element.send_keys(text)

    def click(self, selector: str) -> None:
        self.wait_css(selector).click()

    def click_label(self, label: str, timeout_s: float = 60) -> None:
        """Click the button whose aria-label (or title) is ``label``."""
        button = self.wait_js(
            "return Array.from(document.querySelectorAll('button, [role=button]')).find(b =>"
            f" (b.getAttribute('aria-label') || b.getAttribute('title') || '').trim() === {_js(label)})",
            timeout_s,
            f"the button {label!r}",
        )
        # a JavaScript click: tooltips and toasts over the toolbar do not intercept it
        self.driver.execute_script("arguments[0].click();", button)

    def unhover(self) -> None:
        """Move the pointer to the window's top-left corner (no tooltip in the picture)."""
        from selenium.webdriver.common.actions.action_builder import ActionBuilder

        actions = ActionBuilder(self.driver)
        actions.pointer_action.move_to_location(1, 1)
        actions.perform()

    # --- pictures -------------------------------------------------------------------------
    def shot(self, seconds: float, pause_s: float = 1.0) -> None:
        """Screenshot the window now (after ``pause_s`` for rendering), show it ``seconds``."""
        time.sleep(pause_s)
        path = self.frames_dir / f"{len(self.frames):04d}.png"
        if not self.driver.save_screenshot(str(path)):
            raise SceneError(f"could not screenshot {self.driver.current_url}")
        self.frames.append(Frame(path, seconds, self.caption))

    def watch(
        self, until: Callable[[], bool], *, every_s: float, total_s: float, timeout_s: float
    ) -> None:
        """Time-lapse: a picture every ``every_s`` real seconds until ``until()`` holds, and
        one after it; together they are shown for ``total_s`` (however long the wait was)."""
        first = len(self.frames)
        deadline = time.monotonic() + timeout_s
        while not until():
            if time.monotonic() > deadline:
                raise SceneError(
                    f"gave up waiting after {timeout_s:.0f} s on {self.driver.current_url}"
                )
            self.shot(1.0, pause_s=0)
            time.sleep(every_s)
        self.shot(1.0)
        taken = self.frames[first:]
        keep = max(1, int(total_s / 0.5))  # at least half a second per picture
        if len(taken) > keep:  # thin out evenly, always keeping the last (finished) one
            step = len(taken) / keep
            taken = [taken[int(i * step)] for i in range(keep - 1)] + [taken[-1]]
        for frame in taken:
            frame.seconds = total_s / len(taken)
        self.frames[first:] = taken

    def page(self, html: str) -> None:
        """Show a page of our own (title cards, query results)."""
        encoded = base64.b64encode(html.encode()).decode()
        self.driver.get(f"data:text/html;base64,{encoded}")


@dataclass(frozen=True)
class Scene:
    name: str
    caption: str
    record: Callable[[Recorder], None]


# --- scenes -------------------------------------------------------------------------------
_STYLE = """<style>
body { margin: 0; font-family: 'DejaVu Sans', sans-serif; background: #f7f8fa; color: #1f2933; }
.card { padding: 70px 90px; } h1 { font-size: 46px; margin: 0 0 10px; }
h2 { font-size: 22px; font-weight: normal; color: #52606d; margin: 0 0 30px; }
li { font-size: 21px; margin: 9px 0; } code { background: #e4e7eb; padding: 1px 6px; }
table { border-collapse: collapse; font-size: 17px; margin-top: 18px; background: white; }
td, th { border: 1px solid #cbd2d9; padding: 6px 12px; text-align: right; }
th { background: #e4e7eb; } pre { font-size: 16px; background: #1f2933; color: #e4e7eb;
padding: 16px 20px; border-radius: 6px; white-space: pre-wrap; }
</style>"""


def _title(rec: Recorder) -> None:
    rec.page(f"""<html><head>{_STYLE}</head><body><div class="card">
<h1>SocialPulse</h1><h2>social-network analytics, end to end &mdash; a walkthrough of the running system</h2>
<ul>
<li>a simulator writes the network's events as JSON minute files to <b>MinIO</b></li>
<li><b>Airflow 3</b> validates them (Pydantic) and loads them into <b>PostgreSQL</b>, every minute</li>
<li><b>dbt</b> (one Airflow task per model, by Cosmos) builds a <b>Data Vault 2.0</b>, then the <b>ClickHouse</b> marts</li>
<li><b>Neo4j GDS</b> ranks the social graph (PageRank); analysts read the marts from <b>Tableau</b></li>
</ul></div></body></html>""")
    rec.shot(10)


def _airflow_login(rec: Recorder) -> str:
    """Log in through the UI's own form (once per browser session)."""
    s = rec.settings
    base = s.airflow_url
    rec.open(f"{base}/", ready="body")
    # the app decides client-side: its navigation (logged in) or the login form
    rec.wait_js(
        "return document.querySelector(\"a[href='/dags']\") ||"
        " document.querySelector('input[name=username]')",
        90,
        "the Airflow UI or its login form",
    )
    if rec.driver.execute_script("return !!document.querySelector('input[name=username]')"):
        rec.type("input[name=username]", s.airflow_admin_user)
        rec.type("input[name=password]", s.airflow_admin_password.get_secret_value())
        rec.click("button[type=submit]")
        rec.wait_css("a[href='/dags']", 90)  # the app's navigation: logged in
    return base


def _airflow_dags(rec: Recorder) -> None:
    base = _airflow_login(rec)
    rec.open(f"{base}/dags", ready="body")
    for dag in ("ingest_events", "transform"):
        rec.wait_text(dag, timeout_s=90)
    rec.shot(20, pause_s=3)


def _api(rec: Recorder) -> Any:
    from socialpulse.airflow_api import AirflowApi

    return AirflowApi(rec.settings)


def _ingest_run(rec: Recorder) -> None:
    api = _api(rec)
    base = _airflow_login(rec)
    api.wait_for_dag("ingest_events")
    api.unpause("ingest_events")
    run_id = api.trigger("ingest_events")
    rec.open(f"{base}/dags/ingest_events/runs/{quote(run_id, safe=':+')}", ready="body")
    rec.wait_text("ingest_events", timeout_s=90)

    def finished() -> bool:
        state = api._call("GET", f"/dags/ingest_events/dagRuns/{run_id}")["state"]
        if state == "failed":
            raise SceneError(f"ingest_events run {run_id} failed: see the Airflow UI")
        return state == "success"

    rec.watch(finished, every_s=3, total_s=24, timeout_s=900)
    rec.shot(10, pause_s=3)


def _transform_graph(rec: Recorder) -> None:
    api = _api(rec)
    runs = api._call(
        "GET", "/dags/transform/dagRuns", params={"order_by": "-start_date", "limit": 5}
    )
    done = [r for r in runs["dag_runs"] if r["state"] in ("success", "failed", "running")]
    if not done:
        raise SceneError(
            "the transform DAG has no run yet: run `make demo` or wait for the schedule"
        )
    run_id = done[0]["dag_run_id"]
    base = _airflow_login(rec)
    rec.open(f"{base}/dags/transform/runs/{quote(run_id, safe=':+')}", ready="body")
    rec.click("button[aria-label^='Show Graph']")
    rec.wait_js("return document.querySelector('.react-flow__node')", 90, "the task graph")
    collapse = "button[aria-label='Collapse Details Panel']"
    if rec.driver.execute_script(f"return !!document.querySelector({_js(collapse)})"):
        rec.click(collapse)  # the graph takes the whole width
    rec.shot(8, pause_s=4)  # the task groups: vault, graph job, marts
    rec.click_label("Expand all task groups")
    rec.click_label("Fit View")
    rec.shot(10, pause_s=5)  # one task per dbt model
    rec.click_label("Collapse all task groups")
    rec.driver.execute_script(  # open the marts group only, and zoom to it
        "const g = Array.from(document.querySelectorAll('.react-flow__node button'))"
        ".filter(b => /\\+ \\d+ Tasks/.test(b.innerText)).pop(); if (g) g.click();"
    )
    rec.click_label("Fit View")
    rec.unhover()
    rec.shot(12, pause_s=5)


def _dbt_docs(rec: Recorder) -> None:
    from socialpulse.transform.docs_browser import lineage_nodes

    nodes = lineage_nodes(rec.driver, rec.docs_url, DOCS_MODEL)
    if not any(".sat_" in n or ".link_" in n for n in nodes):
        raise SceneError(f"the lineage of {DOCS_MODEL} shows no vault model: {nodes}")
    rec.driver.execute_script(
        "angular.element(document.querySelector('[ng-click=\"showExpanded()\"]')).triggerHandler('click');"
    )
    # three hops up: raw events -> staging views -> vault links and satellites -> the mart
    rec.type("input[ng-model='selectorService.selection.dirty.include']", f"3+{DOCS_MODEL}")
    rec.click("input[value='Update Graph']")
    rec.wait_js(
        "var g = angular.element(document.body).injector().get('graph');"
        " return (g.graph.elements || []).some(e => e.data && e.data.unique_id &&"
        " e.data.unique_id.indexOf('source.') === 0)",
        60,
        "the raw sources in the lineage graph",
    )
    rec.shot(26, pause_s=4)


def _minio_files(rec: Recorder) -> None:
    s = rec.settings
    base = f"http://{s.minio_host}:{s.minio_console_port}"
    rec.open(f"{base}/login", ready="input#accessKey")
    rec.type("input#accessKey", s.minio_root_user)
    rec.type("input#secretKey", s.minio_root_password.get_secret_value())
    rec.click("button#do-login")
    rec.wait_text("Buckets", timeout_s=60)
    hour = _latest_event_hour(s)
    prefix = quote(f"events/{hour:%Y/%m/%d/%H}/", safe="")
    rec.open(f"{base}/browser/{s.minio_bucket}/{prefix}", ready="body")
    rec.wait_text(".jsonl.gz", timeout_s=60)
    # the console shows its licence once per browser profile
    rec.driver.execute_script(
        "const b = document.getElementById('acknowledge-confirm'); if (b) b.click();"
    )
    rec.shot(22, pause_s=2)


def _latest_event_hour(s: Settings) -> datetime:
    from generator.writer import minio_client

    client = minio_client(s)
    now = datetime.now(UTC)
    for back in range(0, 24 * 14):
        hour = now - timedelta(hours=back)
        prefix = f"events/{hour:%Y/%m/%d/%H}/"
        if next(iter(client.list_objects(s.minio_bucket, prefix=prefix)), None) is not None:
            return hour
    raise SceneError(f"no minute files under events/ in bucket {s.minio_bucket} in two weeks")


DOCS_MODEL = "mart_platform_daily"
_MARTS_QUERY = """SELECT activity_date, posts, comments, reactions, dau, wau,
       round(dau_wau_ratio, 2) AS stickiness
FROM marts.mart_platform_daily
ORDER BY activity_date DESC
LIMIT 10"""


def _marts_query(rec: Recorder) -> None:
    """The analyst's view: a mart query, and a vault mirror refused (over HTTP, as Tableau)."""
    from clickhouse_connect.driver.exceptions import DatabaseError

    from infra.stack.clickhouse import ClickHouseService
    from socialpulse.query import format_table

    client = ClickHouseService(rec.settings).client(analyst=True)
    try:
        result = client.query(_MARTS_QUERY)
        if not result.result_rows:
            raise SceneError("the marts query returned no rows: build the marts first (make demo)")
        table = format_table(list(result.column_names), [tuple(r) for r in result.result_rows])
        try:
            client.query("SELECT count() FROM raw_vault.hub_user")
            raise SceneError("the analyst could read the vault mirror raw_vault.hub_user")
        except DatabaseError as exc:
            text = " ".join(str(exc).split())
            if "ACCESS_DENIED" not in text:
                raise SceneError(f"reading a vault mirror failed otherwise: {text[:300]}") from exc
            refused = text[text.find("Code: ") : text.find("(ACCESS_DENIED)") + 15]
    finally:
        client.close()
    user = rec.settings.clickhouse_analyst_user
    rec.page(f"""<html><head>{_STYLE}</head><body><div class="card" style="padding:40px 60px">
<h2>ClickHouse over HTTP as <code>{user}</code> (read-only, the marts only) &mdash; what Tableau's live connection sees</h2>
<pre>{_html(_MARTS_QUERY)};\n\n{_html(table)}</pre>
<pre>SELECT count() FROM raw_vault.hub_user;   -- a vault mirror\n\n{_html(refused)}</pre>
</div></body></html>""")
    rec.shot(24)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _dashboards(rec: Recorder) -> None:
    from socialpulse.tableau.dashboards import DASHBOARDS

    images = REPO_ROOT / "docs" / "images"
    for dashboard in DASHBOARDS:
        path = images / dashboard.preview
        if not path.exists():
            raise SceneError(f"{path} is missing: run `python -m socialpulse.tableau.previews`")
        rec.caption = (
            f"Tableau dashboard '{dashboard.name}' (preview from the marts): {dashboard.subtitle}"
        )
        rec.page(
            "<html><body style='margin:0;background:#fff'>"
            f"<img src='data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}'"
            " style='width:100%;height:100vh;object-fit:contain'></body></html>"
        )
        rec.shot(11 if dashboard.slug != "overview" else 14)


def _closing(rec: Recorder) -> None:
    rec.page(f"""<html><head>{_STYLE}</head><body><div class="card">
<h1>Try it</h1><h2>everything above runs natively on one Linux box, or in Docker</h2>
<pre>make setup        # uv, the locked environment, every service (cached)
make demo         # start the stack, generate, ingest, build the vault, rank, build the marts
make extracts     # extracts/*.hyper + *.csv and extracts/SocialPulse.twbx for Tableau Public
make test         # the whole suite against the real services</pre>
<ul><li>Tableau Desktop live: ClickHouse JDBC driver 0.9.9 + the ClickHouse connector, user <code>analyst</code> (docs/tableau.md)</li>
<li>Lineage: <code>make docs</code>; architecture: docs/architecture.md</li></ul>
</div></body></html>""")
    rec.shot(10)


SCENES: tuple[Scene, ...] = (
    Scene("title", "SocialPulse: an open-source ELT platform for social-network analytics", _title),
    Scene(
        "airflow_dags",
        "Airflow 3: the DAGs of the pipeline (ingestion every minute, the dbt transform, health)",
        _airflow_dags,
    ),
    Scene(
        "ingest_run",
        "A run of ingest_events: new minute files from MinIO, validated with Pydantic, loaded into PostgreSQL",
        _ingest_run,
    ),
    Scene(
        "transform_graph",
        "DAG transform: one Cosmos task per dbt model (Data Vault, graph job, ClickHouse marts), with each task's state",
        _transform_graph,
    ),
    Scene(
        "dbt_docs",
        "dbt docs: the lineage of mart_platform_daily - raw events, staging views, the Data Vault's links and satellites, the ClickHouse mart",
        _dbt_docs,
    ),
    Scene(
        "minio_files",
        "MinIO: the generator's JSON minute files, one object per simulated minute",
        _minio_files,
    ),
    Scene(
        "marts_query",
        "ClickHouse: the analyst queries a mart (read-only user, marts only)",
        _marts_query,
    ),
    Scene("dashboards", "The Tableau dashboards", _dashboards),
    Scene("closing", "Run it yourself", _closing),
)


# --- recording and encoding ---------------------------------------------------------------
def _docs_url(wanted: str, stack: ExitStack) -> str:
    try:
        if httpx.get(f"{wanted}/index.html", timeout=5).status_code == 200:
            return wanted
    except httpx.HTTPError:
        pass
    from socialpulse.transform.docs import SITE_FILES, serving
    from socialpulse.transform.project import DBT_TARGET_DIR

    if all((DBT_TARGET_DIR / f).exists() for f in SITE_FILES):
        return stack.enter_context(serving(DBT_TARGET_DIR))
    raise SceneError(f"no dbt docs site at {wanted} and none generated: run `make docs`")


def record(scenes: tuple[Scene, ...], settings: Settings, work: Path, docs_url: str) -> list[Frame]:
    """Play every scene in the browser; the captioned pictures, in order."""
    frames: list[Frame] = []
    with ExitStack() as stack:
        try:
            driver = stack.enter_context(chromium((WIDTH, HEIGHT), BROWSER_FLAGS))
        except FileNotFoundError as exc:
            raise SceneError(str(exc)) from exc
        docs = _docs_url(docs_url, stack) if any(s.name == "dbt_docs" for s in scenes) else docs_url
        rec = Recorder(driver, settings, work / "shots", docs)
        rec.frames_dir.mkdir(parents=True, exist_ok=True)
        for scene in scenes:
            rec.caption = scene.caption
            started = time.monotonic()
            count = len(rec.frames)
            try:
                scene.record(rec)
            except SceneError as exc:
                raise SceneError(f"scene {scene.name!r}: {exc}") from exc
            except Exception as exc:
                raise SceneError(
                    f"scene {scene.name!r} failed: {type(exc).__name__}: {exc}"
                ) from exc
            shown = sum(f.seconds for f in rec.frames[count:])
            if shown == 0:
                raise SceneError(f"scene {scene.name!r} took no picture")
            print(
                f"  {scene.name:<16} {len(rec.frames) - count:>3} pictures, {shown:5.1f} s of video "
                f"({time.monotonic() - started:.0f} s to record)",
                flush=True,
            )
        frames = rec.frames
    return frames


def caption_frames(frames: list[Frame], out_dir: Path) -> list[Frame]:
    """Each picture scaled to the video size with its caption in a bar at the bottom."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = (int(v) for v in VIDEO_SIZE.split(":"))
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 24)
    except OSError:
        font = ImageFont.load_default(size=24)
    out_dir.mkdir(parents=True, exist_ok=True)
    done = []
    for i, frame in enumerate(frames):
        with Image.open(frame.image) as shot:
            picture = shot.convert("RGB").resize(
                (width, height - CAPTION_H), Image.Resampling.LANCZOS
            )
        canvas = Image.new("RGB", (width, height), (31, 41, 51))
        canvas.paste(picture, (0, 0))
        draw = ImageDraw.Draw(canvas)
        lines = textwrap.wrap(frame.caption, width=92)[:2]
        y = height - CAPTION_H + (CAPTION_H - 30 * len(lines)) // 2
        for line in lines:
            draw.text((24, y), line, font=font, fill=(245, 247, 250))
            y += 30
        path = out_dir / f"{i:04d}.png"
        canvas.save(path)
        done.append(Frame(path, frame.seconds, frame.caption))
    return done


def encode(frames: list[Frame], out: Path) -> Path:
    """Join the pictures into an H.264 MP4 (each held for its seconds)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SceneError("ffmpeg is missing: apt-get install ffmpeg (make setup installs it)")
    listing = frames[0].image.parent / "frames.txt"
    lines = []
    for frame in frames:
        lines += [f"file '{frame.image}'", f"duration {frame.seconds:.3f}"]
    lines.append(f"file '{frames[-1].image}'")  # the concat demuxer drops the last duration
    listing.write_text("\n".join(lines) + "\n")
    part = out.with_name(f".{out.stem}.part{out.suffix}")
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            ffmpeg,
            "-y",
            "-loglevel",
            "error",
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-vf",
            f"fps=10,scale={VIDEO_SIZE},format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "medium",
            "-crf",
            "26",
            "-tune",
            "stillimage",
            "-movflags",
            "+faststart",
            str(part),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        part.unlink(missing_ok=True)
        raise SceneError(f"ffmpeg failed: {proc.stderr[-2000:]}")
    if part.stat().st_size > MAX_BYTES:
        size = part.stat().st_size / 2**20
        part.unlink()
        raise SceneError(f"the video is {size:.1f} MiB, over 30 MiB: shorten the scenes")
    part.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the video (.mp4)")
    parser.add_argument("--scenes", help="comma-separated scene names (default: all)")
    parser.add_argument("--docs-url", default=DEFAULT_DOCS_URL, help="the dbt docs site")
    parser.add_argument("--list", action="store_true", help="list the scenes and exit")
    parser.add_argument("--keep", type=Path, help="keep the pictures in this directory")
    args = parser.parse_args(argv)
    if args.list:
        for scene in SCENES:
            print(f"{scene.name:<16} {scene.caption}")
        return 0
    scenes = SCENES
    if args.scenes:
        wanted = [n.strip() for n in args.scenes.split(",") if n.strip()]
        unknown = sorted(set(wanted) - {s.name for s in SCENES})
        if unknown:
            print(f"ERROR: unknown scene {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        scenes = tuple(s for s in SCENES if s.name in wanted)
    with tempfile.TemporaryDirectory(prefix="walkthrough-") as tmp:
        work = args.keep or Path(tmp)
        try:
            frames = record(scenes, get_settings(), work, args.docs_url)
            total = sum(f.seconds for f in frames)
            if not args.scenes and not MIN_SECONDS <= total <= MAX_SECONDS:
                raise SceneError(f"the scenes last {total:.0f} s, not 3-5 minutes: adjust SCENES")
            out = encode(caption_frames(frames, work / "video"), args.out)
        except SceneError as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1
    print(f"wrote {out} ({total:.0f} s, {out.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
