"""The marts against an independent computation from the generated event files.

Every metric below is recomputed in plain Python from the JSON lines in MinIO (not from
the vault) and must equal the mart exactly, for every day / post / ad / community.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import IncrementalRefresh, MartsWorld

from socialpulse.transform.vault import wall_clock_reads

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def _day(ts: str) -> date:
    return _ts(ts).date()


def _ts(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


def _days(first: date, last: date) -> Iterator[date]:
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


@pytest.fixture(scope="module")
def events(
    marts_world: MartsWorld, incremental_refresh: IncrementalRefresh
) -> list[dict[str, Any]]:
    assert incremental_refresh.files_loaded > 0  # every file is in the vault now
    return list(marts_world.events())


def by_type(events: list[dict[str, Any]], *types: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event_type"] in types]


def test_platform_daily_activity(marts_world: MartsWorld, events: list[dict[str, Any]]) -> None:
    expected: dict[date, Counter[str]] = defaultdict(Counter)
    kinds = {
        "post_created": "posts",
        "story_created": "stories",
        "reel_created": "reels",
        "comment_created": "comments",
        "reply_created": "comments",
        "reaction_added": "reactions",
        "post_viewed": "views",
        "story_viewed": "views",
        "reel_viewed": "views",
        "user_registered": "new_users",
    }
    for event in events:
        kind = kinds.get(event["event_type"])
        if kind:
            expected[_day(event["occurred_at"])][kind] += 1
    rows = marts_world.rows(
        "SELECT activity_date, posts, stories, reels, comments, reactions, views, new_users, "
        "interactions, avg_interactions_per_post FROM {marts}.mart_platform_daily"
    )
    assert len(rows) >= 2  # the world spans UTC days
    actual = {}
    for day, posts, stories, reels, comments, reactions, views, new_users, inter, avg in rows:
        actual[day] = Counter(
            posts=posts, stories=stories, reels=reels, comments=comments,
            reactions=reactions, views=views, new_users=new_users,
        )  # fmt: skip
        assert inter == reactions + comments
        assert avg == (pytest.approx((reactions + comments) / posts) if posts else None)
    # a day with users online but no event counted here (a session open across midnight)
    # has zero counters: compared as absent
    assert {d: +c for d, c in actual.items() if +c} == {d: +c for d, c in expected.items()}


#: Events with a user actor that are not actions (docs/marts.md, "DAU and WAU"); the
#: platform's own events have no actor.
NOT_ACTIONS = {"ad_impression_served", "user_went_offline"}


def test_dau_and_rolling_wau_count_users_who_acted(
    marts_world: MartsWorld, events: list[dict[str, Any]]
) -> None:
    acted: dict[date, set[int]] = defaultdict(set)
    for event in events:
        if event["actor_id"] is not None and event["event_type"] not in NOT_ACTIONS:
            acted[_day(event["occurred_at"])].add(event["actor_id"])
    rows = marts_world.rows(
        "SELECT activity_date, dau, wau, dau_wau_ratio FROM {marts}.mart_platform_daily"
    )
    assert rows
    for day, dau, wau, ratio in rows:
        week: set[int] = set()
        for d in _days(day - timedelta(days=6), day):
            week |= acted[d]
        assert (day, dau, wau) == (day, len(acted[day]), len(week))
        assert ratio == pytest.approx(dau / wau if wau else 0)
    # (acted is a defaultdict: the week loop above adds empty days to it)
    assert {day for day, dau, _, _ in rows if dau} == {d for d, users in acted.items() if users}
    assert len(rows) >= 2  # the 7-day windows span more than one day of events


def test_online_users_follow_sessions_up_to_the_snapshot_bound(
    marts_world: MartsWorld, events: list[dict[str, Any]]
) -> None:
    bound = marts_world.snapshot_bound()
    starts: dict[tuple[int, int], datetime] = {}
    ends: dict[tuple[int, int], datetime] = {}
    for event in by_type(events, "user_came_online", "user_went_offline"):
        key = (event["payload"]["user_id"], event["payload"]["session_id"])
        side = starts if event["event_type"] == "user_came_online" else ends
        side[key] = min(side.get(key, _ts(event["occurred_at"])), _ts(event["occurred_at"]))
    online: dict[date, set[int]] = defaultdict(set)
    for (user, session), started in starts.items():
        # no offline event (yet): until the run's bound, at most a day
        ended = ends.get((user, session), min(started + timedelta(days=1), bound))
        for day in _days(started.date(), max(started, ended).date()):
            online[day].add(user)
    rows = marts_world.rows("SELECT activity_date, online_users FROM {marts}.mart_platform_daily")
    assert {d: n for d, n in rows if n} == {d: len(u) for d, u in online.items()}
    assert max(day for day, _ in rows) <= bound.date()


def test_no_mart_reads_the_wall_clock(marts_world: MartsWorld) -> None:
    compiled = marts_world.target_path / "compiled"
    assert len(list(compiled.rglob("*.sql"))) > 40  # every mart, landing table and test
    assert wall_clock_reads(compiled) == {}


def test_post_views_and_reshares(marts_world: MartsWorld, events: list[dict[str, Any]]) -> None:
    views: Counter[int] = Counter()
    viewers: dict[int, set[int]] = defaultdict(set)
    for event in by_type(events, "post_viewed"):
        views[event["payload"]["post_id"]] += 1
        viewers[event["payload"]["post_id"]].add(event["payload"]["viewer_id"])
    kinds = {"post_shared": "share", "post_quoted": "quote"}
    reshares: Counter[tuple[int, str]] = Counter()
    for event in by_type(events, *kinds):
        reshares[(event["payload"]["post_id"], kinds[event["event_type"]])] += 1
    posts = {
        e["payload"]["post_id"]: e["payload"]["author_id"] for e in by_type(events, "post_created")
    }
    rows = marts_world.rows(
        "SELECT post_id, author_id, views, unique_viewers, shares, quotes, time_to_1000_views_s "
        "FROM {marts}.mart_post_virality"
    )
    assert {r[0] for r in rows} == set(posts)
    for post_id, author_id, n_views, unique, shares, quotes, to_1000 in rows:
        assert (author_id, n_views, unique) == (
            posts[post_id],
            views[post_id],
            len(viewers[post_id]),
        )
        assert (shares, quotes) == (reshares[(post_id, "share")], reshares[(post_id, "quote")])
        assert (to_1000 is None) == (n_views < 1000)
    assert sum(views.values()) > 0
    assert sum(reshares.values()) > 0


def test_ad_ctr_per_ad_and_day(marts_world: MartsWorld, events: list[dict[str, Any]]) -> None:
    clicked = {e["payload"]["impression_event_id"] for e in by_type(events, "ad_clicked")}
    impressions: Counter[tuple[date, int]] = Counter()
    hits: Counter[tuple[date, int]] = Counter()
    for event in by_type(events, "ad_impression_served"):
        key = (_day(event["occurred_at"]), event["payload"]["ad_id"])
        impressions[key] += 1
        hits[key] += event["event_id"] in clicked
    rows = marts_world.rows(
        "SELECT activity_date, ad_id, impressions, clicked_impressions, ctr "
        "FROM {marts}.mart_ad_performance_daily WHERE impressions > 0"
    )
    assert {(d, a) for d, a, *_ in rows} == set(impressions)
    for day, ad, n, n_clicked, ctr in rows:
        assert (n, n_clicked) == (impressions[(day, ad)], hits[(day, ad)])
        assert ctr == pytest.approx(n_clicked / n)
    assert sum(hits.values()) > 0


def test_revenue_per_day_and_currency(
    marts_world: MartsWorld, events: list[dict[str, Any]]
) -> None:
    streams = {
        "donation_made": "donation",
        "sponsorship_created": "sponsorship",
        "subscription_charged": "subscription",
    }
    expected: dict[tuple[date, str, str], Decimal] = defaultdict(Decimal)
    for event in by_type(events, *streams):
        key = (
            _day(event["occurred_at"]),
            event["payload"]["currency"],
            streams[event["event_type"]],
        )
        expected[key] += Decimal(str(event["payload"]["amount"]))
    rows = marts_world.rows(
        "SELECT activity_date, currency, donation_amount, sponsorship_amount, "
        "subscription_revenue FROM {marts}.mart_revenue_daily"
    )
    actual: dict[tuple[date, str, str], Decimal] = {}
    for day, currency, donations, sponsorships, subscriptions in rows:
        for stream, amount in (
            ("donation", donations), ("sponsorship", sponsorships), ("subscription", subscriptions)
        ):  # fmt: skip
            if amount:
                actual[(day, currency, stream)] = Decimal(amount)
    assert actual == dict(expected)
    assert expected


def test_community_members_joined_per_day(
    marts_world: MartsWorld, events: list[dict[str, Any]]
) -> None:
    joined: Counter[tuple[int, date]] = Counter()
    for event in by_type(events, "group_joined"):
        joined[(event["payload"]["community_id"], _day(event["occurred_at"]))] += 1
    rows = marts_world.rows(
        "SELECT community_id, activity_date, members_joined FROM {marts}.mart_community_daily "
        "WHERE members_joined > 0"
    )
    assert dict(((c, d), n) for c, d, n in rows) == dict(joined)
    assert joined
