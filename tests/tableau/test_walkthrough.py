"""The walkthrough recorder: real headless Chromium and real ffmpeg, without the live stack.

The full video needs the running system (``make walkthrough``); here a scene draws a page of
its own, so the pieces are checked: pictures become a captioned H.264 video of exactly the
planned length, and a scene that cannot show what it should stops the recording by name.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from socialpulse.settings import Settings
from socialpulse.tableau.walkthrough import (
    SCENES,
    Frame,
    Recorder,
    Scene,
    SceneError,
    caption_frames,
    encode,
    main,
    record,
)


def probe(video: Path) -> dict[str, object]:
    ffprobe = shutil.which("ffprobe")
    assert ffprobe, "ffprobe is missing: make setup installs ffmpeg"
    out = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration:stream=codec_name,width,height",
         "-of", "json", str(video)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    info = json.loads(out)
    stream = info["streams"][0]
    return {"codec": stream["codec_name"], "size": (stream["width"], stream["height"]),
            "seconds": float(info["format"]["duration"])}  # fmt: skip


def test_the_story_has_every_scene_the_walkthrough_must_show() -> None:
    names = [s.name for s in SCENES]
    for required in ("airflow_dags", "ingest_run", "transform_graph", "dbt_docs", "minio_files",
                     "marts_query", "dashboards"):  # fmt: skip
        assert required in names
    assert all(s.caption for s in SCENES)
    assert main(["--scenes", "airflow_dags,nonsense"]) == 2


def test_pictures_become_a_captioned_h264_video_of_the_planned_length(tmp_path: Path) -> None:
    frames = []
    for i, (colour, seconds) in enumerate([("red", 1.5), ("green", 2.0), ("blue", 0.5)]):
        path = tmp_path / f"shot{i}.png"
        Image.new("RGB", (1440, 900), colour).save(path)
        frames.append(Frame(path, seconds, f"scene {i}: a caption long enough to be wrapped " * 2))
    captioned = caption_frames(frames, tmp_path / "video")
    with Image.open(captioned[0].image) as first:
        assert first.size == (1280, 800)
        assert first.getpixel((640, 300)) == (255, 0, 0)  # the picture
        assert first.getpixel((5, 795)) == (31, 41, 51)  # the caption bar
    out = encode(captioned, tmp_path / "out.mp4")
    info = probe(out)
    assert info["codec"] == "h264"
    assert info["size"] == (1280, 800)
    assert info["seconds"] == pytest.approx(4.0, abs=0.15)


def test_a_scene_that_cannot_show_its_page_stops_the_recording(
    settings: Settings, tmp_path: Path
) -> None:
    def card(rec: Recorder) -> None:
        rec.page("<html><body><h1 id='ok'>a card</h1></body></html>")
        rec.wait_css("#ok", timeout_s=10)
        rec.shot(2.0, pause_s=0.2)

    def broken(rec: Recorder) -> None:
        rec.page("<html><body><p>no table here</p></body></html>")
        rec.wait_css("#missing", timeout_s=2)

    scenes = (Scene("card", "a card", card), Scene("broken", "a broken page", broken))
    with pytest.raises(SceneError, match=r"scene 'broken': #missing did not appear"):
        record(scenes, settings, tmp_path, "http://127.0.0.1:9")
    frames = record(scenes[:1], settings, tmp_path / "again", "http://127.0.0.1:9")
    assert [(f.caption, f.seconds) for f in frames] == [("a card", 2.0)]
    with Image.open(frames[0].image) as shot:
        assert shot.size[0] >= 1280
