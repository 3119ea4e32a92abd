"""The dashboard previews: drawn from CSV extracts, one PNG per dashboard, numbers as the
sheets compute them.

The fixture writes, for every mart a sheet reads, a CSV with exactly the columns the
dashboards use (taken from socialpulse/tableau/dashboards.py, not listed here): three weeks
of days with a weekly rhythm, a handful of categories, a few NULLs.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from marts_world import PublishedMarts
from matplotlib.image import imread

from infra.stack.clickhouse import ClickHouseService
from socialpulse.settings import Settings
from socialpulse.tableau.dashboards import COMMUNITY_COLUMN, MARTS_DATABASE, WORKBOOK, Sheet
from socialpulse.tableau.extracts import connect, extract_database
from socialpulse.tableau.previews import PreviewError, main, read_mart, render, sheet_data

DAYS = [date(2026, 11, 2) + timedelta(days=i) for i in range(21)]  # starts on a Monday
CATEGORIES = 8


def _roles() -> dict[str, dict[str, str]]:
    """mart -> column -> 'date' | 'category' | 'number', from the sheets that read it."""
    roles: dict[str, dict[str, str]] = defaultdict(dict)
    for sheet in WORKBOOK.sheets:
        mart = roles[sheet.mart]
        for measure in sheet.all_measures:
            for column in measure.columns:
                mart[column] = "number"
        for column in (sheet.split, COMMUNITY_COLUMN if sheet.community_filter else None):
            if column:
                mart[column] = "category"
        if sheet.axis:
            mart[sheet.axis] = "date" if sheet.kind == "trend" else "category"
        if sheet.date_filter:
            mart[sheet.date_filter] = "date"
    return roles


def write_extracts(out: Path) -> None:
    for mart, roles in _roles().items():
        columns = list(roles)
        dates = DAYS if "date" in roles.values() else [None]
        rows = []
        for d_index, day in enumerate(dates):
            weekend = day is not None and day.weekday() >= 5
            for c in range(CATEGORIES):
                row: list[object] = []
                for n, column in enumerate(columns):
                    role = roles[column]
                    if role == "date":
                        row.append(day.isoformat() if day else "")
                    elif role == "category":
                        row.append(c + 1 if column == "depth" else f"{column} {c}")
                    elif (c + d_index + n) % 17 == 0:
                        row.append("")  # NULL
                    else:
                        base = 100 + 15 * c + 3 * n + d_index
                        row.append(base * (0.6 if weekend else 1.0))
                rows.append(row)
        with (out / f"{mart}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(rows)


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    out = tmp_path / "extracts"
    out.mkdir()
    write_extracts(out)
    return out


def test_every_dashboard_is_a_drawn_png(extracts: Path, tmp_path: Path) -> None:
    written = render(extracts, tmp_path / "images")
    assert [p.name for p in written] == [f"dashboard_{d.slug}.png" for d in WORKBOOK.dashboards]
    assert "dashboard_overview.png" in {p.name for p in written}  # the README's picture
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path.name
        pixels = imread(path)[..., :3]
        height, width = pixels.shape[:2]
        assert width == 1600, path.name
        assert height >= 600, path.name
        # something was drawn: a fair share of the pixels is not background white
        assert (pixels < 0.9).any(axis=-1).mean() > 0.03, path.name
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50, path.name


def _sheet(name: str) -> Sheet:
    return WORKBOOK.sheet(name)


def test_ratios_are_ratios_of_sums_and_rankings_keep_the_top(extracts: Path) -> None:
    # CTR per day: clicked impressions / impressions, summed over the campaigns of the day
    sheet = _sheet("Click-through rate")
    rows = read_mart(extracts, sheet.mart)
    clicked: dict[date, float] = defaultdict(float)
    shown: dict[date, float] = defaultdict(float)
    for row in rows:
        day = date.fromisoformat(row["activity_date"])
        clicked[day] += float(row["clicked_impressions"] or 0)
        shown[day] += float(row["impressions"] or 0)
    data = sheet_data(sheet, rows)
    assert data.keys == sorted(shown)
    for day, (ctr,) in zip(data.keys, data.values, strict=True):
        assert ctr == pytest.approx(clicked[day] / shown[day])

    # a ranking: the N largest by its measure, largest first
    sheet = _sheet("Top communities by member growth")
    rows = read_mart(extracts, sheet.mart)
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[row[COMMUNITY_COLUMN]] += float(row["net_member_growth"] or 0)
    expected = sorted(totals, key=lambda k: (-totals[k], k))[: sheet.top]
    data = sheet_data(sheet, rows)
    assert data.keys == expected
    assert [v[0] for v in data.values] == [pytest.approx(totals[k]) for k in expected]


def test_amounts_in_different_currencies_are_never_added(extracts: Path) -> None:
    sheet = _sheet("Revenue per day")
    assert sheet.split == "currency"
    data = sheet_data(sheet, read_mart(extracts, sheet.mart))
    assert {split for _, split in data.keys} == {f"currency {c}" for c in range(CATEGORIES)}
    assert len(data.keys) == len(DAYS) * CATEGORIES  # one value per day and currency


def test_an_empty_mart_draws_a_no_data_panel(extracts: Path, tmp_path: Path) -> None:
    path = extracts / "mart_revenue_daily.csv"
    header = path.read_text().splitlines()[0]
    path.write_text(header + "\n")
    assert main(["--extracts", str(extracts), "--out", str(tmp_path / "images")]) == 0
    assert (tmp_path / "images" / "dashboard_monetisation.png").stat().st_size > 10_000
    data = sheet_data(_sheet("Revenue per day"), read_mart(extracts, "mart_revenue_daily"))
    assert data.keys == []


def test_missing_extracts_say_to_run_make_extracts(tmp_path: Path) -> None:
    with pytest.raises(PreviewError, match="run `make extracts` first"):
        render(tmp_path, tmp_path / "images")
    assert not (tmp_path / "images").exists()


def test_a_mart_without_a_column_the_sheet_needs_says_so(extracts: Path) -> None:
    sheet = _sheet("DAU and WAU")
    rows = [{k: v for k, v in r.items() if k != "wau"} for r in read_mart(extracts, sheet.mart)]
    with pytest.raises(PreviewError, match="has no column wau"):
        sheet_data(sheet, rows)


@pytest.mark.stack
@pytest.mark.slow
def test_the_previews_compute_what_each_sheet_queries(
    published_marts: PublishedMarts,
    settings: Settings,
    clickhouse: ClickHouseService,
    tmp_path: Path,
) -> None:
    """On real marts: every sheet's preview numbers equal its ClickHouse query's result."""
    analyst = connect(settings)
    admin = clickhouse.client()
    try:
        extract_database(analyst, MARTS_DATABASE, tmp_path)
        for sheet in WORKBOOK.sheets:
            data = sheet_data(sheet, read_mart(tmp_path, sheet.mart))
            rows = admin.query(sheet.sql()).result_rows
            width = 2 if sheet.split else 1 if sheet.kind != "summary" else 0
            want_keys = [tuple(str(v) for v in r[:width]) for r in rows]
            got_keys = [
                tuple(str(v) for v in (k if isinstance(k, tuple) else (k,)))[:width]
                for k in data.keys
            ]
            assert got_keys == want_keys, sheet.name
            for got, row in zip(data.values, rows, strict=True):
                want = [None if v is None else float(v) for v in row[width:]]
                assert got == [
                    pytest.approx(v, rel=1e-9) if v is not None else None for v in want
                ], sheet.name
    finally:
        analyst.close()
        admin.close()
