"""The dashboard's charts as PNG images, for readers without Tableau.

    python -m socialpulse.tableau.previews --extracts extracts --out docs/images

Reads the CSV extracts (``make extracts``) and draws, with matplotlib's Agg canvas (no pyplot,
no display, no global state), the same
four areas as the workbook's dashboard "SocialPulse overview":

- ``dashboard_activity.png``: DAU and WAU per day (mart_platform_daily)
- ``dashboard_influence.png``: the 20 users with the highest PageRank (mart_user_profile)
- ``dashboard_communities.png``: the 10 communities that grew most (mart_community_daily)
- ``dashboard_monetisation.png``: daily CTR over all campaigns
  (mart_campaign_performance_daily) and daily revenue per currency (mart_revenue_daily)
- ``dashboard_overview.png``: the four together
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from socialpulse.settings import REPO_ROOT
from socialpulse.tableau.extracts import DEFAULT_OUT

DEFAULT_IMAGES = REPO_ROOT / "docs" / "images"
TOP_USERS = 20
TOP_COMMUNITIES = 10
BLUE, ORANGE, GREEN, GREY = "#4e79a7", "#f28e2b", "#59a14f", "#76797c"  # Tableau 10 palette
CURRENCY_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948"]


class PreviewError(RuntimeError):
    """A preview cannot be drawn; the message says what is missing."""


def read_mart(extracts: Path, mart: str) -> list[dict[str, str]]:
    path = extracts / f"{mart}.csv"
    if not path.exists():
        raise PreviewError(f"{path} not found: run `make extracts` first (or pass --extracts)")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _no_data(ax: Axes, title: str) -> None:
    ax.set_title(title, loc="left", fontweight="bold")
    ax.text(0.5, 0.5, "no data yet", ha="center", va="center", color=GREY, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _date_axis(ax: Axes, days: Sequence[float]) -> None:
    """Day ticks (never hours, the marts are daily), at most about 8 of them."""
    span = int(max(days) - min(days)) + 1
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, -(-span // 8))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y" if span > 300 else "%d %b"))
    ax.set_xlim(min(days) - 0.6, max(days) + 0.6)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def draw_activity(ax: Axes, extracts: Path) -> None:
    title = "Activity: DAU and WAU (UTC days)"
    rows = sorted(read_mart(extracts, "mart_platform_daily"), key=lambda r: r["activity_date"])
    if not rows:
        return _no_data(ax, title)
    days = mdates.date2num([date.fromisoformat(r["activity_date"]) for r in rows])
    wau = [int(r["wau"]) for r in rows]
    ax.plot(days, wau, color=ORANGE, linewidth=3, linestyle="--", label="WAU (7 days)")
    ax.plot(days, [int(r["dau"]) for r in rows], color=BLUE, marker=".", label="DAU")
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel("users")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="lower right")
    _date_axis(ax, days)


def _barh(ax: Axes, labels: list[str], values: list[float], colour: str, title: str) -> None:
    ax.barh(range(len(values)), values, color=colour)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()  # the largest on top, as Tableau sorts descending
    ax.set_title(title, loc="left", fontweight="bold")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def draw_influence(ax: Axes, extracts: Path) -> None:
    title = f"Influence: top {TOP_USERS} users by PageRank"
    ranked = [r for r in read_mart(extracts, "mart_user_profile") if r["pagerank"] != ""]
    if not ranked:
        return _no_data(ax, title)
    top = sorted(ranked, key=lambda r: float(r["pagerank"]), reverse=True)[:TOP_USERS]
    labels = [r["username"] or f"user {r['user_id']}" for r in top]
    _barh(ax, labels, [float(r["pagerank"]) for r in top], BLUE, title)
    ax.set_xlabel("PageRank")


def draw_communities(ax: Axes, extracts: Path) -> None:
    title = f"Communities: top {TOP_COMMUNITIES} by net member growth"
    growth: dict[str, int] = defaultdict(int)
    for r in read_mart(extracts, "mart_community_daily"):
        growth[r["community_name"] or f"community {r['community_id']}"] += int(
            r["net_member_growth"]
        )
    if not growth:
        return _no_data(ax, title)
    top = sorted(growth.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_COMMUNITIES]
    _barh(ax, [k for k, _ in top], [v for _, v in top], GREEN, title)
    ax.set_xlabel("members joined - left")


def draw_ctr(ax: Axes, extracts: Path) -> None:
    title = "Monetisation: daily CTR (all campaigns)"
    clicks: dict[date, int] = defaultdict(int)
    impressions: dict[date, int] = defaultdict(int)
    for r in read_mart(extracts, "mart_campaign_performance_daily"):
        day = date.fromisoformat(r["activity_date"])
        clicks[day] += int(r["clicks"])
        impressions[day] += int(r["impressions"])
    days = sorted(d for d in impressions if impressions[d])
    if not days:
        return _no_data(ax, title)
    ctr = [100 * clicks[d] / impressions[d] for d in days]  # ratio of sums, as in the workbook
    x = mdates.date2num(days)
    ax.plot(x, ctr, color=BLUE, marker=".")
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel("CTR, %")
    ax.set_ylim(bottom=0)
    _date_axis(ax, x)


def draw_revenue(ax: Axes, extracts: Path) -> None:
    title = "Monetisation: daily revenue per currency"
    revenue: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in read_mart(extracts, "mart_revenue_daily"):
        revenue[r["currency"]][date.fromisoformat(r["activity_date"])] += Decimal(
            r["total_revenue"]
        )
    if not revenue:
        return _no_data(ax, title)
    days = sorted({d for per_day in revenue.values() for d in per_day})
    x = mdates.date2num(days)
    bottom = [0.0] * len(days)
    for i, currency in enumerate(sorted(revenue)):
        values = [float(revenue[currency].get(d, 0)) for d in days]
        colour = CURRENCY_COLOURS[i % len(CURRENCY_COLOURS)]
        ax.bar(
            mdates.date2num(days), values, bottom=bottom, color=colour, label=currency, width=0.8
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(title, loc="left", fontweight="bold")
    ax.set_ylabel("revenue (own currency)")
    ax.legend(frameon=False, fontsize=8, ncols=min(len(revenue), 6))
    _date_axis(ax, x)


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def _activity(extracts: Path) -> Figure:
    fig, ax = _figure(9, 4.5)
    draw_activity(ax, extracts)
    return fig


def _influence(extracts: Path) -> Figure:
    fig, ax = _figure(9, 6)
    draw_influence(ax, extracts)
    return fig


def _communities(extracts: Path) -> Figure:
    fig, ax = _figure(9, 4.5)
    draw_communities(ax, extracts)
    return fig


def _monetisation(extracts: Path) -> Figure:
    fig = Figure(figsize=(9, 6.5))
    top, bottom = fig.subplots(2, 1)  # own x range each: the two marts cover different days
    draw_ctr(top, extracts)
    draw_revenue(bottom, extracts)
    return fig


def _overview(extracts: Path) -> Figure:
    fig = Figure(figsize=(16, 10))
    grid = fig.add_gridspec(4, 2, hspace=0.6, wspace=0.25)
    draw_activity(fig.add_subplot(grid[0:2, 0]), extracts)
    draw_influence(fig.add_subplot(grid[0:2, 1]), extracts)
    draw_communities(fig.add_subplot(grid[2:4, 0]), extracts)
    draw_ctr(fig.add_subplot(grid[2, 1]), extracts)
    draw_revenue(fig.add_subplot(grid[3, 1]), extracts)
    fig.suptitle("SocialPulse overview", x=0.02, ha="left", fontsize=16, fontweight="bold")
    return fig


CHARTS: dict[str, Callable[[Path], Figure]] = {
    "dashboard_activity.png": _activity,
    "dashboard_influence.png": _influence,
    "dashboard_communities.png": _communities,
    "dashboard_monetisation.png": _monetisation,
    "dashboard_overview.png": _overview,
}


def render(extracts: Path, out_dir: Path) -> list[Path]:
    """Draw every chart from the CSVs in ``extracts`` into ``out_dir``; returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, chart in CHARTS.items():
        fig = chart(extracts)
        FigureCanvasAgg(fig)
        if name != "dashboard_overview.png":  # the overview has its own grid spacing
            fig.tight_layout()
        fig.savefig(out_dir / name, dpi=110)
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
