"""The preview PNGs are drawn from CSV extracts (a small fixture written here, no database)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from socialpulse.tableau.previews import CHARTS, PreviewError, main, render

DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(14)]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    out = tmp_path / "extracts"
    out.mkdir()
    write_csv(
        out / "mart_platform_daily.csv",
        ["activity_date", "posts", "dau", "wau"],
        [[d, 10 + i, 100 + 5 * i, 300 + 9 * i] for i, d in enumerate(DAYS)],
    )
    write_csv(
        out / "mart_user_profile.csv",
        ["user_id", "username", "pagerank"],
        [[i, f"zoë_{i}" if i % 5 else "", "" if i % 7 == 0 else 1 + i / 10] for i in range(60)],
    )
    write_csv(
        out / "mart_community_daily.csv",
        ["community_id", "activity_date", "community_name", "net_member_growth"],
        [
            [c, d, f"Community {c}", (c * 7 + i) % 11 - 3]
            for c in range(15)
            for i, d in enumerate(DAYS)
        ],
    )
    write_csv(
        out / "mart_campaign_performance_daily.csv",
        ["activity_date", "campaign_id", "impressions", "clicks"],
        [[d, c, 1000 + c, (i + c) % 30] for c in range(3) for i, d in enumerate(DAYS)],
    )
    write_csv(
        out / "mart_revenue_daily.csv",
        ["activity_date", "currency", "total_revenue"],
        [[d, cur, f"{12.5 + i:.2f}"] for i, d in enumerate(DAYS) for cur in ("EUR", "USD")],
    )
    return out


def test_every_chart_is_a_non_empty_png(extracts: Path, tmp_path: Path) -> None:
    written = render(extracts, tmp_path / "images")
    assert [p.name for p in written] == list(CHARTS)
    assert {
        "dashboard_activity.png",
        "dashboard_influence.png",
        "dashboard_communities.png",
        "dashboard_monetisation.png",
    } <= set(CHARTS)
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path.name
        pixels = imread(path)[..., :3]
        height, width = pixels.shape[:2]
        assert width >= 600, path.name
        assert height >= 400, path.name
        # something was drawn: a fair share of the pixels is not background white
        assert (pixels < 0.9).any(axis=-1).mean() > 0.02, path.name
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10, path.name


def test_an_empty_mart_draws_a_no_data_panel(extracts: Path, tmp_path: Path) -> None:
    write_csv(
        extracts / "mart_revenue_daily.csv", ["activity_date", "currency", "total_revenue"], []
    )
    assert main(["--extracts", str(extracts), "--out", str(tmp_path / "images")]) == 0
    assert (tmp_path / "images" / "dashboard_monetisation.png").stat().st_size > 10_000


def test_missing_extracts_say_to_run_make_extracts(tmp_path: Path) -> None:
    with pytest.raises(PreviewError, match="run `make extracts` first"):
        render(tmp_path, tmp_path / "images")
    assert not (tmp_path / "images" / "dashboard_activity.png").exists()
