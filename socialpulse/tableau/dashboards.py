"""What the analysts' dashboards show: one declaration for the workbook, the previews and the
live-path test.

Every sheet reads one mart (``docs/marts.md``) and names its columns here; nothing else in
the Tableau delivery hard-codes a mart column. From these declarations

- :mod:`socialpulse.tableau.workbook` writes the worksheets, filters and dashboards of
  ``docs/tableau/SocialPulse.twb`` (the data sources themselves come from the marts' YAML and
  the real ClickHouse column types),
- :mod:`socialpulse.tableau.previews` draws the same charts as PNGs from the CSV extracts,
- :meth:`Sheet.sql` is the ClickHouse query a sheet amounts to (what Tableau asks a live
  connection), which the JDBC test runs through the real driver.

A measure is an aggregate of one column (:class:`Agg`) or an aggregated calculation
(:class:`Calc`: a ratio of sums, never an average of daily ratios, so it stays right over
any date range). The groups follow the seed's list of metrics (REQUIREMENTS.md, "Metrics the
ClickHouse marts must answer").
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

AggFn = Literal["sum", "avg", "max", "median"]
SheetKind = Literal["trend", "ranking", "distribution", "summary"]
Mark = Literal["Line", "Bar", "Area"]

#: Tableau's name for each aggregation (derivation, instance prefix) and ClickHouse's function
_TABLEAU_AGG = {"sum": ("Sum", "sum"), "avg": ("Avg", "avg"), "max": ("Max", "max"),
                "median": ("Median", "med")}  # fmt: skip
_SQL_AGG = {"sum": "sum", "avg": "avg", "max": "max", "median": "medianExact"}

#: the database the analysts (and Tableau's live connection) read
MARTS_DATABASE = "marts"


@dataclass(frozen=True)
class Agg:
    """``fn`` over one mart column, e.g. ``Agg("dau", "avg")``; ``caption`` names it on axes."""

    column: str
    fn: AggFn = "sum"
    caption: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    @property
    def instance(self) -> str:
        """The Tableau column-instance name, e.g. ``[sum:posts:qk]``."""
        return f"[{_TABLEAU_AGG[self.fn][1]}:{self.column}:qk]"

    @property
    def derivation(self) -> str:
        return _TABLEAU_AGG[self.fn][0]

    def formula(self) -> str:
        return f"{_TABLEAU_AGG[self.fn][0].upper()}([{self.column}])"

    def sql(self) -> str:
        return f"{_SQL_AGG[self.fn]}({quote(self.column)})"

    def evaluate(self, rows: Sequence[Mapping[str, Any]]) -> float | None:
        """The aggregate over ``rows`` (parsed values; None = NULL, skipped as in SQL)."""
        values = [float(v) for r in rows if (v := r.get(self.column)) is not None]
        if not values:
            return 0.0 if self.fn == "sum" else None
        if self.fn == "sum":
            return math.fsum(values)
        if self.fn == "avg":
            return math.fsum(values) / len(values)
        if self.fn == "max":
            return max(values)
        return statistics.median(values)


@dataclass(frozen=True)
class Calc:
    """An aggregated calculation: ``(sum of terms) / denominator / divide_by``.

    Becomes a Tableau calculated field ``[Calculation_<name>]`` with that formula, the same
    expression in ClickHouse SQL, and the same arithmetic in the previews. A zero denominator
    gives NULL (as Tableau's division does).
    """

    name: str
    caption: str
    terms: tuple[Agg, ...]
    denominator: Agg | None = None
    divide_by: float = 1.0
    percent: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        extra = (self.denominator.column,) if self.denominator else ()
        return tuple(dict.fromkeys([*(t.column for t in self.terms), *extra]))

    @property
    def field(self) -> str:
        return f"Calculation_{self.name}"

    @property
    def instance(self) -> str:
        return f"[usr:{self.field}:qk]"

    def formula(self) -> str:
        top = " + ".join(t.formula() for t in self.terms)
        if len(self.terms) > 1 and (self.denominator or self.divide_by != 1):
            top = f"({top})"
        if self.denominator:
            top = f"{top} / {self.denominator.formula()}"
        if self.divide_by != 1:
            top = f"{top} / {_number(self.divide_by)}"
        return top

    def sql(self) -> str:
        top = " + ".join(t.sql() for t in self.terms)
        if len(self.terms) > 1:
            top = f"({top})"
        if self.denominator:
            top = f"{top} / nullIf({self.denominator.sql()}, 0)"
        if self.divide_by != 1:
            top = f"{top} / {_number(self.divide_by)}"
        return top

    def evaluate(self, rows: Sequence[Mapping[str, Any]]) -> float | None:
        parts = [t.evaluate(rows) for t in self.terms]
        if any(p is None for p in parts):
            return None
        value = math.fsum(p for p in parts if p is not None)
        if self.denominator:
            den = self.denominator.evaluate(rows)
            if not den:
                return None
            value /= den
        return value / self.divide_by


Measure = Agg | Calc


def caption_of(measure: Measure, captions: Mapping[str, str]) -> str:
    """What a measure is called on an axis (``captions``: column -> caption)."""
    if isinstance(measure, Calc):
        return measure.caption
    if measure.caption:
        return measure.caption
    return captions.get(measure.column, measure.column)


@dataclass(frozen=True)
class Sheet:
    """One worksheet on one mart.

    - ``trend``: the measures per day of ``axis`` (a Date column), one pane per measure;
      ``split`` puts one row of panes per value of a dimension (e.g. per currency).
    - ``ranking``: the measures per value of ``axis`` (a dimension), largest ``rank_by``
      first, the ``top`` first ones.
    - ``distribution``: the measures per value of ``axis``, in the order of ``axis``.
    - ``summary``: the measures over the whole mart, one bar each.
    """

    name: str
    mart: str
    kind: SheetKind
    measures: tuple[Measure, ...]
    caption: str
    axis: str | None = None
    split: str | None = None
    top: int | None = None
    rank_by: Measure | None = None
    mark: Mark = "Bar"
    date_filter: str | None = None
    community_filter: bool = False

    @property
    def ranking_measure(self) -> Measure:
        return self.rank_by or self.measures[0]

    @property
    def all_measures(self) -> tuple[Measure, ...]:
        extra = (self.rank_by,) if self.rank_by and self.rank_by not in self.measures else ()
        return (*self.measures, *extra)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every mart column the sheet reads, in first-use order."""
        used = [c for c in (self.axis, self.split, self.date_filter) if c]
        if self.community_filter:
            used.append(COMMUNITY_COLUMN)
        for m in self.all_measures:
            used.extend(m.columns)
        return tuple(dict.fromkeys(used))

    def sql(self, database: str = MARTS_DATABASE) -> str:
        """The ClickHouse query this sheet amounts to over the whole mart (no filter set)."""
        table = f"{quote(database)}.{quote(self.mart)}"
        values = [f"{m.sql()} AS {quote(f'm{i}')}" for i, m in enumerate(self.measures)]
        if self.kind == "summary":
            return f"SELECT {', '.join(values)} FROM {table}"
        assert self.axis is not None
        axis = f"toDate({quote(self.axis)})" if self.kind == "trend" else quote(self.axis)
        keys = [f"{axis} AS {quote('axis')}"]
        if self.split:
            keys.append(f"{quote(self.split)} AS {quote('split')}")
        names = [quote("axis"), *([quote("split")] if self.split else [])]
        sql = f"SELECT {', '.join(keys + values)} FROM {table} GROUP BY {', '.join(names)}"
        if self.kind == "ranking":
            sql += f" ORDER BY {self.ranking_measure.sql()} DESC, {quote('axis')}"
            return sql + (f" LIMIT {self.top}" if self.top else "")
        return sql + f" ORDER BY {', '.join(names)}"


@dataclass(frozen=True)
class Dashboard:
    """A dashboard: ``sheets`` in a two-column grid, under a title; filter cards for the
    date ranges and the community filter its sheets have."""

    name: str
    slug: str
    subtitle: str
    sheets: tuple[str, ...]
    columns: int = 2

    @property
    def preview(self) -> str:
        return f"dashboard_{self.slug}.png"


@dataclass(frozen=True)
class Workbook:
    sheets: tuple[Sheet, ...]
    dashboards: tuple[Dashboard, ...]
    by_name: dict[str, Sheet] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {s.name: s for s in self.sheets})

    def sheet(self, name: str) -> Sheet:
        return self.by_name[name]

    def marts(self) -> list[str]:
        return list(dict.fromkeys(s.mart for s in self.sheets))

    def calcs(self, mart: str) -> list[Calc]:
        found = [m for s in self.sheets if s.mart == mart for m in s.all_measures]
        return list(dict.fromkeys(m for m in found if isinstance(m, Calc)))

    def columns_used(self) -> dict[str, dict[str, list[str]]]:
        """mart -> column -> the sheets that read it."""
        used: dict[str, dict[str, list[str]]] = {}
        for sheet in self.sheets:
            for column in sheet.columns:
                used.setdefault(sheet.mart, {}).setdefault(column, []).append(sheet.name)
        return used


def quote(identifier: str) -> str:
    return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


COMMUNITY_COLUMN = "community_name"

# --- measures used on more than one sheet -------------------------------------------------
CTR = Calc(
    "ctr",
    "CTR",
    (Agg("clicked_impressions"),),
    Agg("impressions"),
    percent=True,
)
ENGAGEMENT = Calc(
    "engagement_ratio",
    "Engagement ratio",
    (Agg("active_members"),),
    Agg("members"),
    percent=True,
)
INTERACTIONS_PER_POST = Calc(
    "interactions_per_post",
    "Interactions per post",
    (Agg("interactions"),),
    Agg("posts"),
)
RESHARES = Calc("reshares", "Reposts + quotes", (Agg("reposts_received"), Agg("quotes_received")))
MINUTES_TO_1000_VIEWS = Calc(
    "minutes_to_1000_views",
    "Median minutes to 1000 views",
    (Agg("time_to_1000_views_s", "median"),),
    divide_by=60,
)

# --- platform activity --------------------------------------------------------------------
DAY = "activity_date"
PLATFORM = (
    Sheet("Posts per day", "mart_platform_daily", "trend", (Agg("posts"),),
          "Total posts published per UTC day.", axis="activity_date", date_filter=DAY),
    Sheet("Comments and reactions per day", "mart_platform_daily", "trend",
          (Agg("comments"), Agg("reactions")),
          "Comments and replies written, and reactions added, per UTC day.",
          axis="activity_date", mark="Line", date_filter=DAY),
    Sheet("Interactions per post", "mart_platform_daily", "trend", (INTERACTIONS_PER_POST,),
          "(reactions + comments) / posts: a ratio of the day's sums.",
          axis="activity_date", mark="Line", date_filter=DAY),
    Sheet("DAU and WAU", "mart_platform_daily", "trend",
          (Agg("dau", "avg", "DAU"), Agg("wau", "avg", "WAU (7 days)")),
          "Daily active users and the rolling 7-day weekly active users.",
          axis="activity_date", mark="Line", date_filter=DAY),
    Sheet("DAU/WAU stickiness", "mart_platform_daily", "trend",
          (Agg("dau_wau_ratio", "avg", "DAU / WAU"),),
          "How many of the week's active users came back that day (dau / wau).",
          axis="activity_date", mark="Line", date_filter=DAY),
)  # fmt: skip

# --- social graph and influence -----------------------------------------------------------
GRAPH = (
    Sheet("Friendship depth", "mart_friendship_depth", "distribution", (Agg("pairs"),),
          "Pairs of users 1, 2, 3 ... friend hops apart (latest graph run).", axis="depth"),
    Sheet("Average friends and followers", "mart_social_graph_summary", "summary",
          (Agg("avg_friends", "avg", "Friends per user"),
           Agg("avg_followers", "avg", "Followers per user")),
          "Average current friends and followers per user."),
    Sheet("Top users by PageRank", "mart_user_profile", "ranking",
          (Agg("pagerank", "avg", "PageRank"),),
          "The 20 most central users of the latest graph run (Neo4j GDS PageRank).",
          axis="username", top=20),
    Sheet("Reposts and quotes received", "mart_user_profile", "ranking",
          (Agg("reposts_received", caption="Reposts"), Agg("quotes_received", caption="Quotes")),
          "Virality: the 20 users whose posts were reshared most (reposts and quotes).",
          axis="username", top=20, rank_by=RESHARES),
    Sheet("Time to 1000 views", "mart_post_virality", "trend", (MINUTES_TO_1000_VIEWS,),
          "Speed of spread: median minutes from publication to the 1000th view, by the day "
          "the post was published (posts that reached 1000 views).",
          axis="created_date", mark="Line", date_filter="created_date"),
)  # fmt: skip

# --- communities and topics ---------------------------------------------------------------
_TOP_COMMUNITIES = 15
COMMUNITIES = (
    Sheet("Top communities by member growth", "mart_community_daily", "ranking",
          (Agg("net_member_growth", caption="Net member growth"),),
          "Members joined minus members left over the chosen days.",
          axis=COMMUNITY_COLUMN, top=_TOP_COMMUNITIES, date_filter=DAY),
    Sheet("Activity per community", "mart_community_daily", "ranking",
          (Agg("posts"), Agg("comments"), Agg("reactions")),
          "Posts, comments and reactions in each community over the chosen days.",
          axis=COMMUNITY_COLUMN, top=_TOP_COMMUNITIES, date_filter=DAY),
    Sheet("Moderation load", "mart_community_daily", "ranking",
          (Agg("complaints"), Agg("moderators", "avg", "Moderators (daily average)"),
           Calc("complaints_per_moderator_day", "Complaints per moderator-day",
                (Agg("complaints"),), Agg("moderators"))),
          "Complaints filed, moderators on duty and complaints per moderator-day.",
          axis=COMMUNITY_COLUMN, top=_TOP_COMMUNITIES, date_filter=DAY),
    Sheet("Engagement ratio per community", "mart_community_daily", "ranking", (ENGAGEMENT,),
          "Active members / members, over the member-days of the chosen days.",
          axis=COMMUNITY_COLUMN, top=_TOP_COMMUNITIES, date_filter=DAY),
    Sheet("Community activity per day", "mart_community_daily", "trend",
          (Agg("posts"), Agg("comments"), Agg("reactions")),
          "Posts, comments and reactions per UTC day in the chosen communities.",
          axis="activity_date", mark="Line", community_filter=True, date_filter=DAY),
    Sheet("Engagement ratio per day", "mart_community_daily", "trend", (ENGAGEMENT,),
          "Active members / members per UTC day in the chosen communities.",
          axis="activity_date", mark="Line", community_filter=True, date_filter=DAY),
    Sheet("Most discussed topics", "mart_topics", "ranking",
          (Agg("comments"), Agg("posts")),
          "Topics by comments and replies (most discussed first).", axis="topic", top=15),
)  # fmt: skip

# --- monetisation -------------------------------------------------------------------------
MONETISATION = (
    Sheet("Ad impressions and clicks", "mart_campaign_performance_daily", "trend",
          (Agg("impressions"), Agg("clicks")),
          "Ad impressions served and clicks made per UTC day, all campaigns.",
          axis="activity_date", mark="Line", date_filter=DAY),
    Sheet("Click-through rate", "mart_campaign_performance_daily", "trend", (CTR,),
          "Clicked impressions / impressions per UTC day, all campaigns.",
          axis="activity_date", mark="Line", date_filter=DAY),
    Sheet("CTR by campaign objective", "mart_campaign_performance_daily", "ranking", (CTR,),
          "Click-through rate per campaign objective over the chosen days.",
          axis="objective", date_filter=DAY),
    Sheet("Revenue per day", "mart_revenue_daily", "trend",
          (Agg("total_revenue", caption="Revenue"),),
          "Donations + sponsorships + subscriptions per UTC day, one row per currency "
          "(amounts are never added across currencies).",
          axis="activity_date", split="currency", date_filter=DAY),
    Sheet("Revenue by source", "mart_revenue_daily", "ranking",
          (Agg("donation_amount", caption="Donations"),
           Agg("sponsorship_amount", caption="Sponsorships"),
           Agg("subscription_revenue", caption="Subscriptions")),
          "Revenue from donations, sponsorships and creator subscriptions per currency over "
          "the chosen days.", axis="currency", rank_by=Agg("total_revenue"), date_filter=DAY),
)  # fmt: skip

DASHBOARDS = (
    Dashboard("Overview", "overview", "Activity, influence, communities and money at a glance",
              ("DAU and WAU", "Top users by PageRank", "Posts per day",
               "Top communities by member growth", "Click-through rate", "Revenue per day")),
    Dashboard("Platform activity", "platform_activity",
              "Posts, comments, reactions, interactions per post, DAU, WAU and stickiness",
              tuple(s.name for s in PLATFORM)),
    Dashboard("Social graph and influence", "social_graph",
              "Friendship depth, friends and followers, PageRank, virality, speed of spread",
              tuple(s.name for s in GRAPH)),
    Dashboard("Communities and topics", "communities",
              "Member growth, activity, moderation load, engagement and the most discussed "
              "topics", tuple(s.name for s in COMMUNITIES)),
    Dashboard("Monetisation", "monetisation",
              "Ad impressions, clicks, CTR and revenue from donations, sponsorships and "
              "subscriptions", tuple(s.name for s in MONETISATION)),
)  # fmt: skip

WORKBOOK = Workbook(PLATFORM + GRAPH + COMMUNITIES + MONETISATION, DASHBOARDS)


def sheets_of(names: Iterable[str]) -> list[Sheet]:
    return [WORKBOOK.sheet(n) for n in names]
