"""The workbook's dashboards as PNG images, for readers without Tableau.

    make extracts
    python -m socialpulse.tableau.previews --extracts extracts --out docs/images

Reads the CSV extracts and draws every dashboard of :mod:`socialpulse.tableau.dashboards`
with matplotlib's Agg canvas (no pyplot, no display, no global state): the same sheets, in
the same grid, computed the same way (:func:`sheet_data` aggregates like each sheet's query,
:meth:`Sheet.sql`; ratios are ratios of sums). One file per dashboard,
``docs/images/dashboard_<name>.png`` (``dashboard_overview.png`` is the README's picture).

Daily charts shade weekends and tick Mondays, so a weekly rhythm shows at a glance;
amounts in different currencies are drawn in separate panels, never added up.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal, cast

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from socialpulse.settings import REPO_ROOT
from socialpulse.tableau.dashboards import (
    WORKBOOK,
    Calc,
    Dashboard,
    Measure,
    Sheet,
    Workbook,
)
from socialpulse.tableau.extracts import DEFAULT_OUT

DEFAULT_IMAGES = REPO_ROOT / "docs" / "images"
#: Tableau 10 palette, as the workbook's default colours
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"]
GREY, WEEKEND = "#76797c", "#eef1f4"
_SCALE_GAP = 8  # measures further apart than this share no axis


class PreviewError(RuntimeError):
    """A preview cannot be drawn; the message says what is missing."""


# --- data ---------------------------------------------------------------------------------
def read_mart(extracts: Path, mart: str) -> list[dict[str, str]]:
    path = extracts / f"{mart}.csv"
    if not path.exists():
        raise PreviewError(f"{path} not found: run `make extracts` first (or pass --extracts)")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _parse(rows: Sequence[Mapping[str, str]], sheet: Sheet) -> list[dict[str, Any]]:
    """Typed values for the columns the sheet reads ('' = NULL for numbers)."""
    numeric = {c for m in sheet.all_measures for c in m.columns}
    missing = [c for c in sheet.columns if rows and c not in rows[0]]
    if missing:
        raise PreviewError(
            f"{sheet.mart}.csv has no column {', '.join(missing)}: re-run `make extracts`"
        )
    parsed = []
    for row in rows:
        value: dict[str, Any] = {}
        for column in sheet.columns:
            text = row[column]
            if column in numeric:
                value[column] = float(text) if text not in ("", "nan") else None
            elif sheet.kind == "trend" and column == sheet.axis:
                value[column] = date.fromisoformat(text[:10])
            else:
                value[column] = text
        parsed.append(value)
    return parsed


@dataclass
class SheetData:
    """What a sheet shows: per key (day, day+split, or a category) one value per measure."""

    sheet: Sheet
    keys: list[Any]
    values: list[list[float | None]]  # [key][measure]


def sheet_data(sheet: Sheet, rows: Sequence[Mapping[str, str]]) -> SheetData:
    """Aggregate the extract rows as the sheet's query does (:meth:`Sheet.sql`)."""
    typed = _parse(rows, sheet)
    if sheet.kind == "summary":
        return SheetData(
            sheet, [None], [[m.evaluate(typed) for m in sheet.measures]] if typed else []
        )
    assert sheet.axis is not None
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in typed:
        key = (row[sheet.axis], row[sheet.split]) if sheet.split else row[sheet.axis]
        groups[key].append(row)
    keys = list(groups)
    if sheet.kind == "ranking":
        rank = {k: sheet.ranking_measure.evaluate(groups[k]) for k in keys}
        keys.sort(key=lambda k: (rank[k] is None, -(rank[k] or 0.0), k))
        keys = keys[: sheet.top] if sheet.top else keys
    else:
        keys.sort(key=_natural)
    return SheetData(sheet, keys, [[m.evaluate(groups[k]) for m in sheet.measures] for k in keys])


def _natural(key: Any) -> Any:
    try:
        return (0, float(key), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(key))


# --- drawing ------------------------------------------------------------------------------
def _is_percent(measure: Measure) -> bool:
    if isinstance(measure, Calc):
        return measure.percent
    return measure.column.endswith("_ratio") or measure.column in ("ctr", "share")


def _number(value: float, _pos: Any = None) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}" if value != int(value) else f"{int(value)}"


def _style(ax: Axes, measure: Measure | None, axis: Literal["x", "y"] = "y") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis=axis, alpha=0.3)
    ax.tick_params(labelsize=8)
    if measure is not None:
        formatter = PercentFormatter(xmax=1) if _is_percent(measure) else FuncFormatter(_number)
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _date_axis(ax: Axes, days: Sequence[date]) -> None:
    """Day ticks for short spans, Monday ticks for longer ones; weekends shaded."""
    first, last = min(days), max(days)
    span = (last - first).days + 1
    day = first
    while day <= last:
        if day.weekday() >= 5:
            x = mdates.date2num(day)
            ax.axvspan(x - 0.5, x + 0.5, color=WEEKEND, zorder=0, linewidth=0)
        day += timedelta(days=1)
    if span <= 10:
        ax.xaxis.set_major_locator(mdates.DayLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b"))
    elif span <= 120:
        ax.xaxis.set_major_locator(
            mdates.WeekdayLocator(byweekday=mdates.MO, interval=max(1, span // 60))
        )
        ax.xaxis.set_minor_locator(mdates.DayLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("Mon\n%d %b"))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
    ax.set_xlim(mdates.date2num(first) - 0.6, mdates.date2num(last) + 0.6)


def _caption(measure: Measure, captions: Mapping[str, str]) -> str:
    if isinstance(measure, Calc):
        return measure.caption
    return measure.caption or captions.get(measure.column, measure.column.replace("_", " "))


def _no_data(area: SubFigure) -> None:
    ax = area.add_subplot()
    ax.text(0.5, 0.5, "no data yet", ha="center", va="center", color=GREY, transform=ax.transAxes)
    ax.set_axis_off()


def _series(values: list[list[float | None]], i: int) -> list[float]:
    return [math.nan if (x := v[i]) is None else x for v in values]


def _panels(measures: Sequence[Measure], values: list[list[float | None]]) -> list[list[int]]:
    """Measures of a similar scale share a panel (like Tableau's shared axis)."""
    tops = [
        max((abs(x) for x in _series(values, i) if not math.isnan(x)), default=0.0)
        for i in range(len(measures))
    ]
    panels: list[list[int]] = []
    for i, top in enumerate(tops):
        for panel in panels:
            ref = tops[panel[0]]
            same_kind = _is_percent(measures[panel[0]]) == _is_percent(measures[i])
            close = top == ref or (
                min(top, ref) > 0 and max(top, ref) / min(top, ref) <= _SCALE_GAP
            )
            if same_kind and close:
                panel.append(i)
                break
        else:
            panels.append([i])
    return panels


def draw_sheet(area: SubFigure, data: SheetData, captions: Mapping[str, str]) -> None:
    """Draw one sheet into ``area`` (a subfigure: one or more axes)."""
    sheet = data.sheet
    area.suptitle(sheet.name, x=0.01, ha="left", fontsize=11, fontweight="bold")
    area.text(0.01, 0.91, sheet.caption, fontsize=7.5, color=GREY, ha="left", va="top", wrap=True)
    if not data.keys or all(all(v is None for v in row) for row in data.values):
        return _no_data(area)
    draw: Callable[[SubFigure, SheetData, Mapping[str, str]], None] = {
        "trend": _trend,
        "ranking": _ranking,
        "distribution": _distribution,
        "summary": _summary,
    }[sheet.kind]
    draw(area, data, captions)


def _trend(area: SubFigure, data: SheetData, captions: Mapping[str, str]) -> None:
    sheet = data.sheet
    if sheet.split:
        splits = sorted({k[1] for k in data.keys})
        axes = area.subplots(len(splits), 1, sharex=True, squeeze=False)[:, 0]
        days = sorted({k[0] for k in data.keys})
        for ax, split, colour in zip(axes, splits, PALETTE * 3, strict=False):
            by_day = {k[0]: v for k, v in zip(data.keys, data.values, strict=True) if k[1] == split}
            x = mdates.date2num(days)
            y = [(by_day[d][0] or 0.0) if d in by_day else 0.0 for d in days]
            ax.bar(x, y, width=0.8, color=colour)
            ax.set_ylabel(split, fontsize=8, rotation=0, ha="right", va="center")
            _style(ax, sheet.measures[0])
            ax.yaxis.set_major_locator(MaxNLocator(2))  # small panels: 0 and one round value
            _date_axis(ax, days)
        area.subplots_adjust(left=0.12, right=0.98, top=0.8, bottom=0.12, hspace=0.25)
        return
    days = list(data.keys)
    x = mdates.date2num(days)
    panels = _panels(sheet.measures, data.values)
    axes = area.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    colours = iter(PALETTE * 3)
    for ax, panel in zip(axes, panels, strict=True):
        for i in panel:
            label = _caption(sheet.measures[i], captions)
            if sheet.mark == "Bar":
                ax.bar(x, _series(data.values, i), width=0.8, color=next(colours), label=label)
            else:
                ax.plot(
                    x,
                    _series(data.values, i),
                    color=next(colours),
                    marker="." if len(x) < 40 else None,
                    linewidth=2,
                    label=label,
                )
        if len(panel) > 1 or len(panels) > 1:
            ax.legend(frameon=False, fontsize=7, loc="upper left", ncols=len(panel))
        else:
            ax.set_ylabel(_caption(sheet.measures[panel[0]], captions), fontsize=8)
        if sheet.mark == "Line" and not any(
            v < 0 for i in panel for v in _series(data.values, i) if not math.isnan(v)
        ):
            ax.set_ylim(bottom=0)
        _style(ax, sheet.measures[panel[0]])
        _date_axis(ax, days)
    area.subplots_adjust(left=0.1, right=0.98, top=0.8, bottom=0.14, hspace=0.3)


def _ranking(area: SubFigure, data: SheetData, captions: Mapping[str, str]) -> None:
    sheet = data.sheet
    labels = [str(k) if k not in ("", None) else "(unnamed)" for k in data.keys]
    axes = area.subplots(1, len(sheet.measures), sharey=True, squeeze=False)[0]
    positions = range(len(labels))
    for i, (ax, measure) in enumerate(zip(axes, sheet.measures, strict=True)):
        ax.barh(
            positions,
            [v if not math.isnan(v) else 0 for v in _series(data.values, i)],
            color=PALETTE[i % len(PALETTE)],
        )
        ax.set_title(_caption(measure, captions), fontsize=8, loc="left")
        _style(ax, measure, axis="x")
        if not any(_series(data.values, i)):  # all zero (or null): a plain 0..1 axis
            ax.set_xlim(0, 1)
    axes[0].set_yticks(list(positions), labels, fontsize=7)
    axes[0].invert_yaxis()  # the largest on top, as the sheet sorts
    label_px = 6 * max(len(label) for label in labels) + 20  # room for the longest label
    left = min(0.4, label_px / max(area.bbox.width, 1.0))
    area.subplots_adjust(left=left, right=0.98, top=0.78, bottom=0.08, wspace=0.15)


def _distribution(area: SubFigure, data: SheetData, captions: Mapping[str, str]) -> None:
    sheet = data.sheet
    ax = area.subplots()
    labels = [str(k) for k in data.keys]
    ax.bar(
        labels, [v if not math.isnan(v) else 0 for v in _series(data.values, 0)], color=PALETTE[0]
    )
    ax.set_xlabel(captions.get(sheet.axis or "", sheet.axis or ""), fontsize=8)
    ax.set_ylabel(_caption(sheet.measures[0], captions), fontsize=8)
    _style(ax, sheet.measures[0])
    area.subplots_adjust(left=0.12, right=0.98, top=0.8, bottom=0.15)


def _summary(area: SubFigure, data: SheetData, captions: Mapping[str, str]) -> None:
    sheet = data.sheet
    ax = area.subplots()
    labels = [_caption(m, captions) for m in sheet.measures]
    values = [v if v is not None else 0.0 for v in data.values[0]]
    bars = ax.barh(range(len(values)), values, color=PALETTE[: len(values)])
    ax.bar_label(bars, labels=[f"{v:,.2f}" for v in values], fontsize=9, padding=3)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([*values, 1e-9]) * 1.25)
    _style(ax, sheet.measures[0], axis="x")
    area.subplots_adjust(left=0.25, right=0.95, top=0.75, bottom=0.15)


def draw_dashboard(
    dashboard: Dashboard,
    extracts: Path,
    workbook: Workbook = WORKBOOK,
    captions: Mapping[str, str] | None = None,
) -> Figure:
    sheets = [workbook.sheet(n) for n in dashboard.sheets]
    cache: dict[str, list[dict[str, str]]] = {}
    per_row = dashboard.columns
    rows = math.ceil(len(sheets) / per_row)
    height = 1.0 + 3.4 * rows
    fig = Figure(figsize=(16, height))
    parts = cast("Sequence[SubFigure]", fig.subfigures(2, 1, height_ratios=[1.0, height - 1.0]))
    header, body = parts[0], parts[1]
    header.text(0.01, 0.62, dashboard.name, fontsize=18, fontweight="bold", va="center")
    header.text(
        0.01,
        0.18,
        f"{dashboard.subtitle} (UTC days; weekends shaded)",
        fontsize=10,
        color=GREY,
        va="center",
    )
    grid = body.add_gridspec(rows, per_row, left=0, right=1, top=1, bottom=0, hspace=0, wspace=0)
    for i, sheet in enumerate(sheets):
        row, col = divmod(i, per_row)
        in_row = min(per_row, len(sheets) - row * per_row)
        spec = grid[row, col] if in_row == per_row else grid[row, :]
        if sheet.mart not in cache:
            cache[sheet.mart] = read_mart(extracts, sheet.mart)
        draw_sheet(body.add_subfigure(spec), sheet_data(sheet, cache[sheet.mart]), captions or {})
    return fig


def render(extracts: Path, out_dir: Path, workbook: Workbook = WORKBOOK) -> list[Path]:
    """Draw every dashboard from the CSVs in ``extracts`` into ``out_dir``; the files."""
    from socialpulse.tableau.workbook import caption

    captions = {c: caption(c) for cols in workbook.columns_used().values() for c in cols}
    figures = [
        (d.preview, draw_dashboard(d, extracts, workbook, captions)) for d in workbook.dashboards
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig in figures:
        FigureCanvasAgg(fig)
        fig.savefig(out_dir / name, dpi=100)
        written.append(out_dir / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extracts", type=Path, default=DEFAULT_OUT, help="CSV extracts dir")
    parser.add_argument("--out", type=Path, default=DEFAULT_IMAGES, help="where PNGs go")
    args = parser.parse_args(argv)
    try:
        for path in render(args.extracts, args.out):
            print(path)
    except PreviewError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
