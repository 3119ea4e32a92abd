"""The world's state and the primitives every simulation module uses to emit events.

Everything that must survive a restart lives in :class:`World` (it is pickled whole by
``generator.state``): the seeded RNG, id counters, users, ties, communities, recent content,
running cascades and ads. Nothing here is random without going through ``world.rng``, so a
seed fully determines the event stream.

Within one simulated minute, things created in that minute become visible to *other* users
only from the next minute (see :meth:`World.commit`), so no event ever refers to an entity
created later in the same file.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

T = TypeVar("T")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS_PER_MINUTE = 60_000
STORY_TTL_MINUTES = 24 * 60

# Activity by UTC hour (mean ~1): night trough, lunch bump, evening peak.
HOURLY_ACTIVITY = (
    0.35, 0.25, 0.18, 0.14, 0.14, 0.2, 0.35, 0.6, 0.85, 0.95, 1.0, 1.1,
    1.25, 1.15, 1.05, 1.05, 1.15, 1.3, 1.5, 1.7, 1.8, 1.65, 1.2, 0.7,
)  # fmt: skip
# Monday..Sunday: weekends are busier.
WEEKDAY_ACTIVITY = (0.93, 0.93, 0.95, 0.97, 1.02, 1.15, 1.12)


# UUID4 as an integer: clear the version/variant bits, then set version 4 and RFC 4122 variant.
_UUID_MASK = ~(0xF000 << 64) & ~(0xC000 << 48)
_UUID_BITS = (0x4000 << 64) | (0x8000 << 48)
# "SS.mmmZ" for every millisecond of a minute (60k short strings, built once).
_STAMPS = tuple(f"{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(MS_PER_MINUTE))


def rhythm(minute: datetime) -> float:
    """Activity multiplier for a minute: hourly curve (interpolated) x weekday factor."""
    hour = minute.hour + minute.minute / 60.0
    low = int(hour) % 24
    frac = hour - int(hour)
    daily = HOURLY_ACTIVITY[low] * (1 - frac) + HOURLY_ACTIVITY[(low + 1) % 24] * frac
    return daily * WEEKDAY_ACTIVITY[minute.weekday()]


def minute_index(minute: datetime) -> int:
    """Minutes since the Unix epoch: the world's integer clock."""
    return int((minute - EPOCH).total_seconds()) // 60


def minute_of(index: int) -> datetime:
    return EPOCH + timedelta(minutes=index)


class Ring(Generic[T]):
    """A fixed-size list of the most recent items with O(1) append and random pick.

    (A deque has O(n) random access, and the feed picks random recent items constantly.)
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[T] = []
        self.head = 0

    def append(self, item: T) -> None:
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            self.items[self.head] = item
            self.head = (self.head + 1) % self.size

    def pick(self, rng: random.Random) -> T | None:
        items = self.items
        return items[int(rng.random() * len(items))] if items else None

    def pick_recent(self, rng: random.Random, k: int) -> T | None:
        """A random item among the ``k`` most recently appended."""
        n = len(self.items)
        if not n:
            return None
        back = 1 + int(rng.random() * min(k, n))
        return self.items[(self.head - back) % n] if n == self.size else self.items[n - back]

    def __len__(self) -> int:
        return len(self.items)


@dataclass(slots=True)
class User:
    user_id: int
    locale: str
    currency: str
    country: str
    weight: float  # heavy-tailed activity propensity (Pareto)
    joined_minute: int
    active: bool = True
    username: str = ""
    first_name: str = ""


@dataclass(slots=True)
class Post:
    post_id: int
    author_id: int
    minute: int
    group_id: int | None
    community_id: int | None
    topic: str | None


@dataclass(slots=True)
class Group:
    group_id: int
    community_id: int
    owner_id: int
    topic: str
    members: list[int] = field(default_factory=list)
    member_set: set[int] = field(default_factory=set)
    moderators: list[int] = field(default_factory=list)
    pinned: list[int] = field(default_factory=list)
    posts: list[int] = field(default_factory=list)  # recent post ids (capped)


@dataclass(slots=True)
class Community:
    community_id: int
    owner_id: int
    topics: list[str]
    groups: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Cascade:
    """A viral post spreading through shares: views per minute grow, peak, then decay."""

    post: Post
    level: float  # views in the current minute
    growth: float  # multiplier per minute until the peak
    minutes_to_peak: int
    shares: list[tuple[int, int]] = field(default_factory=list)  # (share_id, depth)


@dataclass(slots=True)
class Ad:
    ad_id: int
    campaign_id: int
    advertiser_id: int
    currency: str
    cpm: float  # cost per 1000 impressions
    cpc: float  # cost per click
    ctr: float  # click-through rate of this creative
    placement: str
    ends_minute: int


@dataclass
class Batch:
    """The events of one simulated minute, as (ms offset, event dict) rows."""

    minute: datetime
    index: int
    prefix: str  # "YYYY-MM-DDTHH:MM:" to which "SS.mmmZ" is appended
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def sorted_events(self) -> list[dict[str, Any]]:
        """Events ordered by occurred_at (stable: equal timestamps keep emission order)."""
        self.rows.sort(key=_first)
        return [row[1] for row in self.rows]


def _first(row: tuple[int, dict[str, Any]]) -> int:
    return row[0]


@dataclass
class World:
    """The whole simulated network: pickled as one object between runs."""

    seed: int
    rng: random.Random
    next_minute: int  # minute index of the next batch to generate
    counters: dict[str, int] = field(default_factory=dict)
    # users
    users: dict[int, User] = field(default_factory=dict)
    active_ids: list[int] = field(default_factory=list)
    active_pos: dict[int, int] = field(default_factory=dict)
    bootstrap_queue: int = 0  # users still to register during the bootstrap hour
    bootstrap_per_minute: int = 0
    sampler_ids: list[int] = field(default_factory=list)
    sampler_cum: list[float] = field(default_factory=list)
    sampler_minute: int = -1_000_000
    online: list[int] = field(default_factory=list)
    online_pos: dict[int, int] = field(default_factory=dict)
    sessions: dict[int, tuple[int, int]] = field(default_factory=dict)  # user -> (id, start ms)
    session_ends: dict[int, list[int]] = field(default_factory=dict)  # minute -> users
    badges: set[tuple[int, str]] = field(default_factory=set)
    # social ties
    friends: dict[int, list[int]] = field(default_factory=dict)
    friend_pairs: set[tuple[int, int]] = field(default_factory=set)
    friend_endpoints: list[int] = field(default_factory=list)
    following: dict[int, list[int]] = field(default_factory=dict)
    follower_count: dict[int, int] = field(default_factory=dict)
    follow_pairs: set[tuple[int, int]] = field(default_factory=set)
    follow_endpoints: list[int] = field(default_factory=list)
    subscriptions: dict[tuple[int, int], str] = field(default_factory=dict)  # -> tier
    subs_of: dict[int, list[int]] = field(default_factory=dict)
    charges_due: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    blocks: dict[int, list[int]] = field(default_factory=dict)
    mutes: dict[int, list[int]] = field(default_factory=dict)
    close_friends: dict[int, list[int]] = field(default_factory=dict)
    # communities
    communities: list[Community] = field(default_factory=list)
    groups: dict[int, Group] = field(default_factory=dict)
    group_endpoints: list[int] = field(default_factory=list)
    user_groups: dict[int, list[int]] = field(default_factory=dict)
    open_reports: list[tuple[int, int | None, int | None]] = field(default_factory=list)
    # content
    posts: Ring[Post] = field(default_factory=lambda: Ring(20_000))
    last_post: dict[int, Post] = field(default_factory=dict)
    comments: Ring[tuple[int, int, str, int, int | None, str | None]] = field(
        default_factory=lambda: Ring(20_000)
    )
    reels: Ring[tuple[int, int, str | None]] = field(default_factory=lambda: Ring(5_000))
    stories: Ring[tuple[int, int, int]] = field(default_factory=lambda: Ring(10_000))
    story_expiry: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    reaction_keys: set[tuple[int, str, int]] = field(default_factory=set)
    reactions: Ring[tuple[int, str, int, int, str, int | None]] = field(
        default_factory=lambda: Ring(20_000)
    )
    deleted_posts: set[int] = field(default_factory=set)
    deleted_comments: set[int] = field(default_factory=set)
    albums: dict[int, list[int]] = field(default_factory=dict)  # owner -> album ids
    cascades: list[Cascade] = field(default_factory=list)
    # monetisation
    ads: list[Ad] = field(default_factory=list)
    advertisers: list[str] = field(default_factory=list)
    # name pools built from Faker once per world (so a restart never depends on Faker again)
    pools: dict[str, Any] = field(default_factory=dict)
    # things created this minute, published to everyone at commit()
    pending_users: list[int] = field(default_factory=list)
    pending_posts: list[Post] = field(default_factory=list)
    pending_comments: list[tuple[int, int, str, int, int | None, str | None]] = field(
        default_factory=list
    )
    pending_reels: list[tuple[int, int, str | None]] = field(default_factory=list)
    pending_stories: list[tuple[int, int, int]] = field(default_factory=list)
    touched: set[tuple[Any, ...]] = field(default_factory=set)

    # --- ids and events ------------------------------------------------------------------
    def next_id(self, kind: str) -> int:
        """The next id of an entity kind; ids are never reissued (they live in the state)."""
        value = self.counters.get(kind, 0) + 1
        self.counters[kind] = value
        return value

    def event_id(self) -> str:
        """A random (seeded) UUID4 as text."""
        h = "%032x" % (self.rng.getrandbits(128) & _UUID_MASK | _UUID_BITS)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def emit(
        self,
        batch: Batch,
        ms: int,
        event_type: str,
        actor_id: int | None,
        entity_type: str,
        entity_id: str,
        payload: dict[str, Any],
    ) -> dict[str, Any]:
        """Append one event at ``ms`` into the minute; returns the event dict."""
        if not 0 <= ms < MS_PER_MINUTE:
            ms = 0 if ms < 0 else MS_PER_MINUTE - 1
        h = "%032x" % (self.rng.getrandbits(128) & _UUID_MASK | _UUID_BITS)  # = event_id()
        event = {
            "event_id": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
            "event_type": event_type,
            "occurred_at": batch.prefix + _STAMPS[ms],
            "schema_version": 1,
            "actor_id": actor_id,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "payload": payload,
        }
        batch.rows.append((ms, event))
        return event

    def ms(self) -> int:
        """A random offset into the minute, leaving room for follow-up events after it."""
        return int(self.rng.random() * 55_000)

    def count(self, rate: float) -> int:
        """A Poisson-like count with mean ``rate`` (cheap: exact mean, plausible spread)."""
        if rate <= 0:
            return 0
        if rate > 30:
            return max(0, round(self.rng.gauss(rate, math.sqrt(rate))))
        n = int(rate)
        frac = rate - n
        # Spread small counts a little so per-minute series are not flat.
        if n and self.rng.random() < 0.5:
            n += self.rng.choice((-1, 1)) if n > 1 else 1
        return n + (1 if self.rng.random() < frac else 0)

    # --- users ---------------------------------------------------------------------------
    def is_active(self, user_id: int) -> bool:
        """Registered before this minute and not deactivated: safe to reference now."""
        user = self.users.get(user_id)
        return user is not None and user.active and user.joined_minute < self.next_minute

    def random_active(self) -> int | None:
        ids = self.active_ids
        return ids[int(self.rng.random() * len(ids))] if ids else None

    def weighted_users(self, k: int) -> list[int]:
        """``k`` users drawn by activity weight (the sampler is rebuilt hourly: cheap)."""
        if not self.sampler_ids or self.next_minute - self.sampler_minute >= 60:
            self.sampler_ids = list(self.active_ids)
            total = 0.0
            cum: list[float] = []
            for uid in self.sampler_ids:
                total += self.users[uid].weight
                cum.append(total)
            self.sampler_cum = cum
            self.sampler_minute = self.next_minute
        if not self.sampler_ids:
            return []
        return self.rng.choices(self.sampler_ids, cum_weights=self.sampler_cum, k=k)

    def set_online(self, user_id: int) -> None:
        self.online_pos[user_id] = len(self.online)
        self.online.append(user_id)

    def set_offline(self, user_id: int) -> None:
        pos = self.online_pos.pop(user_id, None)
        if pos is None:
            return
        last = self.online.pop()
        if last != user_id:
            self.online[pos] = last
            self.online_pos[last] = pos

    def deactivate(self, user_id: int) -> None:
        self.users[user_id].active = False
        pos = self.active_pos.pop(user_id, None)
        if pos is not None:
            last = self.active_ids.pop()
            if last != user_id:
                self.active_ids[pos] = last
                self.active_pos[last] = pos

    # --- the minute boundary ---------------------------------------------------------------
    def commit(self) -> None:
        """Publish this minute's new users and content to everyone (see module docstring)."""
        for uid in self.pending_users:
            self.active_pos[uid] = len(self.active_ids)
            self.active_ids.append(uid)
        for post in self.pending_posts:
            self.posts.append(post)
            self.last_post[post.author_id] = post
            if post.group_id is not None:
                posts = self.groups[post.group_id].posts
                posts.append(post.post_id)
                if len(posts) > 50:
                    del posts[:25]
        for comment in self.pending_comments:
            self.comments.append(comment)
        for reel in self.pending_reels:
            self.reels.append(reel)
        for story in self.pending_stories:  # (story_id, author_id, minute)
            self.stories.append(story)
        self.pending_users.clear()
        self.pending_posts.clear()
        self.pending_comments.clear()
        self.pending_reels.clear()
        self.pending_stories.clear()
        self.touched.clear()
        self.next_minute += 1


def new_world(seed: int, start: datetime) -> World:
    """An empty world whose first generated minute is ``start`` (truncated to the minute)."""
    start = start.astimezone(UTC).replace(second=0, microsecond=0)
    return World(seed=seed, rng=random.Random(seed), next_minute=minute_index(start))


def start_batch(world: World) -> Batch:
    """An empty batch for the world's next minute."""
    minute = minute_of(world.next_minute)
    return Batch(minute=minute, index=world.next_minute, prefix=minute.strftime("%Y-%m-%dT%H:%M:"))
