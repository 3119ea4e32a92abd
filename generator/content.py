"""Content and engagement: posts, stories, reels, comments, replies, shares, quotes,
reactions, views, media (photos, videos, albums, attachments, thumbnails) and reports.

Engagement targets come from a simple feed: mostly the latest post of someone the viewer
is friends with or follows, otherwise a recent post from anyone (explore). A small share of new
posts go *viral*: a :class:`~generator.world.Cascade` then drives views that grow
geometrically through shares for a few minutes before decaying, so a few posts reach 1000
views within minutes while most never do.
"""

from __future__ import annotations

from bisect import bisect
from itertools import accumulate
from typing import Any

from generator import people
from generator.world import STORY_TTL_MINUTES, Batch, Cascade, Post, World, minute_of

REACTIONS = ("like", "love", "care", "haha", "wow", "sad", "angry")
REACTION_WEIGHTS = (0.55, 0.2, 0.04, 0.08, 0.06, 0.04, 0.03)
VIEW_SOURCES = ("feed", "profile", "group", "search", "notification")
VIEW_SOURCE_WEIGHTS = (0.7, 0.1, 0.1, 0.04, 0.06)
# Cumulative weights (normalised to 1) for drawing with bisect: cheaper than rng.choices.
REACTION_CUM = tuple(accumulate(w / sum(REACTION_WEIGHTS) for w in REACTION_WEIGHTS[:-1]))
VIEW_SOURCE_CUM = tuple(accumulate(w / sum(VIEW_SOURCE_WEIGHTS) for w in VIEW_SOURCE_WEIGHTS[:-1]))
REPORT_REASONS = ("spam", "harassment", "hate_speech", "nudity", "violence", "misinformation",
                  "scam", "other")  # fmt: skip
REPORT_REASON_WEIGHTS = (0.35, 0.15, 0.08, 0.06, 0.04, 0.12, 0.1, 0.1)

# Per online user per minute.
RATES = {
    "post_viewed": 2.4,
    "reel_viewed": 0.8,
    "story_viewed": 0.6,
    "reaction_added": 0.45,
    "reaction_removed": 0.012,
    "comment_created": 0.08,
    "reply_created": 0.04,
    "comment_deleted": 0.003,
    "post_created": 0.03,
    "post_deleted": 0.0015,
    "story_created": 0.02,
    "reel_created": 0.006,
    "post_shared": 0.012,
    "post_quoted": 0.004,
    "report_filed": 0.002,
    "album_created": 0.0008,
    "album_photo": 0.003,
}
VIRAL_BASE_CHANCE = 0.01
#: Views per minute of one cascade at its plateau, whatever the size of the world.
CASCADE_VIEW_CAP = 220.0
CASCADE_DECAY = 0.72  # views per minute shrink by this factor after the peak
VIRAL_MAX_GAP = 6 * 60  # minutes without a new cascade after which the next post goes viral
EXPLORE_WINDOW = 300
SHARE_PER_VIRAL_VIEW = 0.03
QUOTE_PER_VIRAL_VIEW = 0.006
REACTION_PER_VIRAL_VIEW = 0.06
COMMENT_PER_VIRAL_VIEW = 0.006


# --- media ------------------------------------------------------------------------------


def upload_photo(world: World, batch: Batch, uid: int, ms: int, album_id: int | None = None) -> int:
    rng = world.rng
    pid = world.next_id("photo")
    width = rng.choice((640, 1080, 1280, 1920, 3024, 4032))
    height = int(width * rng.choice((0.75, 1.0, 1.25, 1.333, 0.5625)))
    world.emit(
        batch, ms, "photo_uploaded", uid, "photo", str(pid),
        {
            "photo_id": pid, "owner_id": uid, "album_id": album_id, "width": width,
            "height": height, "size_bytes": min(50_000_000, width * height // rng.randint(3, 8)),
            "format": rng.choices(("jpeg", "png", "webp", "heic"), (0.6, 0.1, 0.2, 0.1))[0],
        },
    )  # fmt: skip
    _thumbnail(world, batch, "photo", pid, ms + rng.randrange(50, 900))
    return pid


def upload_video(
    world: World, batch: Batch, uid: int, ms: int, max_s: int = 600
) -> tuple[int, int]:
    rng = world.rng
    vid = world.next_id("video")
    duration = max(1, min(max_s, int(rng.lognormvariate(3.0, 1.0))))
    width, height = rng.choice(((1080, 1920), (1920, 1080), (720, 1280), (1280, 720)))
    world.emit(
        batch, ms, "video_uploaded", uid, "video", str(vid),
        {
            "video_id": vid, "owner_id": uid, "duration_s": duration, "width": width,
            "height": height, "size_bytes": duration * rng.randint(200_000, 1_000_000),
            "format": rng.choices(("mp4", "mov", "webm"), (0.7, 0.2, 0.1))[0],
        },
    )  # fmt: skip
    _thumbnail(world, batch, "video", vid, ms + rng.randrange(200, 3000))
    return vid, duration


def _thumbnail(world: World, batch: Batch, media_type: str, media_id: int, ms: int) -> None:
    tid = world.next_id("thumbnail")
    world.emit(
        batch, ms, "thumbnail_generated", None, "thumbnail", str(tid),
        {"thumbnail_id": tid, "media_type": media_type, "media_id": media_id,
         "width": 320, "height": 320},
    )  # fmt: skip


def attach(
    world: World,
    batch: Batch,
    ms: int,
    uid: int,
    media: tuple[str, int],
    target: tuple[str, int],
    pos: int,
) -> None:
    aid = world.next_id("attachment")
    world.emit(
        batch, ms, "media_attached", uid, "attachment", str(aid),
        {"attachment_id": aid, "media_type": media[0], "media_id": media[1],
         "target_type": target[0], "target_id": target[1], "position": pos},
    )  # fmt: skip


# --- creating content -------------------------------------------------------------------


def _hashtags(world: World, topic: str | None) -> list[str]:
    rng = world.rng
    tags = [f"#{topic}"] if topic and rng.random() < 0.5 else []
    words: list[str] = world.pools["words"]
    tags.extend(f"#{words[rng.randrange(len(words))]}" for _ in range(rng.choice((0, 0, 1, 2))))
    return tags


def create_post(world: World, batch: Batch, uid: int, ms: int, group_id: int | None = None) -> Post:
    rng = world.rng
    user = world.users[uid]
    if group_id is None and rng.random() < 0.25:
        mine = world.user_groups.get(uid)
        group_id = mine[rng.randrange(len(mine))] if mine else None
    group = world.groups.get(group_id) if group_id is not None else None
    topic = (
        group.topic
        if group
        else (rng.choice(world.pools["topics"]) if rng.random() < 0.6 else None)
    )
    post_id = world.next_id("post")
    media: list[tuple[str, int]] = []
    roll = rng.random()
    if roll < 0.35:
        media = [
            ("photo", upload_photo(world, batch, uid, ms + i)) for i in range(rng.randint(1, 4))
        ]
    elif roll < 0.43:
        media = [("video", upload_video(world, batch, uid, ms)[0])]
    ms += 1000
    text = " ".join(people.sentence(world, user.locale) for _ in range(rng.randint(1, 3)))
    world.emit(
        batch, ms, "post_created", uid, "post", str(post_id),
        {
            "post_id": post_id, "author_id": uid, "text": text, "language": user.locale,
            "visibility": "public" if group else rng.choices(("public", "friends", "private"), (0.7, 0.27, 0.03))[0],
            "topic": topic, "group_id": group_id,
            "community_id": group.community_id if group else None,
            "media_ids": [m[1] for m in media], "hashtags": _hashtags(world, topic),
        },
    )  # fmt: skip
    for pos, item in enumerate(media):
        attach(world, batch, ms + 1 + pos, uid, item, ("post", post_id), pos)
    post = Post(post_id, uid, batch.index, group_id, group.community_id if group else None, topic)
    world.pending_posts.append(post)
    followers = world.follower_count.get(uid, 0)
    # A quiet spell forces the next post to go viral, so even a small world has cascades.
    overdue = batch.index - world.counters.get("last_cascade_minute", batch.index) >= VIRAL_MAX_GAP
    world.counters.setdefault("last_cascade_minute", batch.index)
    if overdue or rng.random() < VIRAL_BASE_CHANCE * (1 + min(followers, 300) / 30):
        world.counters["last_cascade_minute"] = batch.index
        world.cascades.append(
            Cascade(post, rng.uniform(5, 10), rng.uniform(1.7, 2.3), rng.randint(8, 14))
        )
    return post


def create_story(world: World, batch: Batch, uid: int, ms: int) -> None:
    rng = world.rng
    if rng.random() < 0.7:
        media = ("photo", upload_photo(world, batch, uid, ms))
    else:
        media = ("video", upload_video(world, batch, uid, ms, max_s=60)[0])
    sid = world.next_id("story")
    ms += 1000
    expires = minute_of(batch.index + STORY_TTL_MINUTES)
    world.emit(
        batch, ms, "story_created", uid, "story", str(sid),
        {"story_id": sid, "author_id": uid, "media_type": media[0], "media_id": media[1],
         "expires_at": f"{expires.strftime('%Y-%m-%dT%H:%M:')}{ms // 1000:02d}.{ms % 1000:03d}Z"},
    )  # fmt: skip
    attach(world, batch, ms + 1, uid, media, ("story", sid), 0)
    world.pending_stories.append((sid, uid, batch.index))
    world.story_expiry.setdefault(batch.index + STORY_TTL_MINUTES, []).append((sid, uid, ms))


def create_reel(world: World, batch: Batch, uid: int, ms: int) -> None:
    rng = world.rng
    vid, duration = upload_video(world, batch, uid, ms, max_s=180)
    rid = world.next_id("reel")
    topic = rng.choice(world.pools["topics"]) if rng.random() < 0.7 else None
    ms += 1500
    world.emit(
        batch, ms, "reel_created", uid, "reel", str(rid),
        {"reel_id": rid, "author_id": uid, "video_id": vid, "duration_s": duration,
         "caption": people.sentence(world, world.users[uid].locale)[:500], "topic": topic},
    )  # fmt: skip
    attach(world, batch, ms + 1, uid, ("video", vid), ("reel", rid), 0)
    world.pending_reels.append((rid, uid, topic))


def create_album(world: World, batch: Batch, uid: int, ms: int) -> None:
    rng = world.rng
    aid = world.next_id("album")
    words: list[str] = world.pools["words"]
    world.emit(
        batch, ms, "album_created", uid, "album", str(aid),
        {"album_id": aid, "owner_id": uid,
         "title": f"{words[rng.randrange(len(words))]} {batch.minute.year}".capitalize(),
         "visibility": rng.choice(("public", "friends", "private"))},
    )  # fmt: skip
    world.albums.setdefault(uid, []).append(aid)
    for i in range(rng.randint(1, 5)):
        upload_photo(world, batch, uid, ms + 10 + i, album_id=aid)


# --- engagement -------------------------------------------------------------------------


def feed_pick(world: World, viewer: int) -> tuple[Post | None, str]:
    """A post for ``viewer``: a friend's or followee's latest post, else explore."""
    rng = world.rng
    if rng.random() < 0.6:
        circle = world.following.get(viewer) if rng.random() < 0.5 else world.friends.get(viewer)
        if circle:
            post = world.last_post.get(circle[int(rng.random() * len(circle))])
            if post is not None and post.post_id not in world.deleted_posts:
                return post, "feed"
    # Explore shows recent posts (not the whole history), so old posts stop gaining views.
    post = world.posts.pick_recent(rng, EXPLORE_WINDOW)
    if post is None or post.post_id in world.deleted_posts:
        return None, "feed"
    source = VIEW_SOURCES[bisect(VIEW_SOURCE_CUM, rng.random())]
    return post, "group" if post.group_id is not None and source == "feed" else source


def view_post(
    world: World, batch: Batch, viewer: int, post: Post, ms: int, source: str,
    via_share: int | None = None,
) -> None:  # fmt: skip
    world.emit(
        batch, ms, "post_viewed", viewer, "post", str(post.post_id),
        {"post_id": post.post_id, "author_id": post.author_id, "viewer_id": viewer,
         "source": source, "via_share_id": via_share,
         "dwell_ms": min(3_600_000, int(world.rng.expovariate(1 / 7000)))},
    )  # fmt: skip


def react(
    world: World, batch: Batch, uid: int, ms: int, target: tuple[str, int, int, int | None]
) -> None:
    """Add a reaction unless ``uid`` already reacted to that target."""
    target_type, target_id, author, community = target
    key = (uid, target_type, target_id)
    if key in world.reaction_keys:
        return
    reaction = REACTIONS[bisect(REACTION_CUM, world.rng.random())]
    world.reaction_keys.add(key)
    if len(world.reactions) == world.reactions.size:
        old = world.reactions.items[world.reactions.head]
        world.reaction_keys.discard((old[0], old[1], old[2]))
    world.reactions.append((uid, target_type, target_id, author, reaction, community))
    world.emit(
        batch, ms, "reaction_added", uid, "reaction", f"{uid}:{target_type}:{target_id}",
        {"user_id": uid, "target_type": target_type, "target_id": target_id,
         "target_author_id": author, "reaction": reaction, "community_id": community},
    )  # fmt: skip


def unreact(world: World, batch: Batch, ms: int) -> None:
    item = world.reactions.pick(world.rng)
    if item is None:
        return
    uid, target_type, target_id, author, reaction, community = item
    key = (uid, target_type, target_id)
    if key not in world.reaction_keys or not world.is_active(uid) or key in world.touched:
        return
    world.touched.add(key)
    world.reaction_keys.discard(key)
    world.emit(
        batch, ms, "reaction_removed", uid, "reaction", f"{uid}:{target_type}:{target_id}",
        {"user_id": uid, "target_type": target_type, "target_id": target_id,
         "target_author_id": author, "reaction": reaction, "community_id": community},
    )  # fmt: skip


def comment(world: World, batch: Batch, uid: int, ms: int, post: Post | None = None) -> None:
    rng = world.rng
    target: tuple[str, int, int, int | None, str | None]
    if post is None and rng.random() < 0.15 and len(world.reels):
        reel = world.reels.pick(rng)
        assert reel is not None
        target = ("reel", reel[0], reel[1], None, reel[2])
    else:
        post = post or feed_pick(world, uid)[0]
        if post is None:
            return
        target = ("post", post.post_id, post.author_id, post.community_id, post.topic)
    cid = world.next_id("comment")
    world.emit(
        batch, ms, "comment_created", uid, "comment", str(cid),
        {"comment_id": cid, "author_id": uid, "target_type": target[0], "target_id": target[1],
         "target_author_id": target[2], "text": people.sentence(world, world.users[uid].locale),
         "community_id": target[3], "topic": target[4]},
    )  # fmt: skip
    if rng.random() < 0.03:
        attach(world, batch, ms + 400, uid, ("photo", upload_photo(world, batch, uid, ms + 1)),
               ("comment", cid), 0)  # fmt: skip
    world.pending_comments.append((cid, uid, target[0], target[1], target[3], target[4]))


def reply(world: World, batch: Batch, uid: int, ms: int) -> None:
    parent = world.comments.pick(world.rng)
    if parent is None or parent[0] in world.deleted_comments:
        return
    parent_id, parent_author, target_type, target_id, community, topic = parent
    cid = world.next_id("comment")
    world.emit(
        batch, ms, "reply_created", uid, "comment", str(cid),
        {"comment_id": cid, "parent_comment_id": parent_id, "author_id": uid,
         "target_type": target_type, "target_id": target_id, "parent_author_id": parent_author,
         "text": people.sentence(world, world.users[uid].locale), "community_id": community,
         "topic": topic},
    )  # fmt: skip
    world.pending_comments.append((cid, uid, target_type, target_id, community, topic))


def delete_comment(world: World, batch: Batch, ms: int) -> None:
    item = world.comments.pick(world.rng)
    if item is None or item[0] in world.deleted_comments or not world.is_active(item[1]):
        return
    world.deleted_comments.add(item[0])
    by_mod = world.rng.random() < 0.3
    world.emit(
        batch, ms, "comment_deleted", None if by_mod else item[1], "comment", str(item[0]),
        {"comment_id": item[0], "author_id": item[1],
         "removed_by": "moderator" if by_mod else "author"},
    )  # fmt: skip


def share(
    world: World, batch: Batch, uid: int, ms: int, post: Post, via: tuple[int, int] | None,
    quote: bool,
) -> tuple[int, int] | None:  # fmt: skip
    """Share or quote ``post``; ``via`` is the (share_id, depth) it was seen through."""
    if uid == post.author_id:
        return None
    share_id = world.next_id("share")
    depth = via[1] + 1 if via else 1
    payload: dict[str, Any] = {
        "share_id": share_id, "post_id": post.post_id, "post_author_id": post.author_id,
        "user_id": uid, "via_share_id": via[0] if via else None, "depth": depth,
        "destination": world.rng.choices(("feed", "group", "message"), (0.75, 0.1, 0.15))[0],
    }  # fmt: skip
    if quote:
        payload["quote_text"] = people.sentence(world, world.users[uid].locale)
    world.emit(
        batch, ms, "post_quoted" if quote else "post_shared", uid, "share", str(share_id), payload
    )
    return share_id, depth


def report(world: World, batch: Batch, uid: int, ms: int) -> None:
    rng = world.rng
    post, _ = feed_pick(world, uid)
    roll = rng.random()
    group_id = community_id = None
    if roll < 0.6 and post is not None:
        target: tuple[str, int] = ("post", post.post_id)
        group_id, community_id = post.group_id, post.community_id
    elif roll < 0.8 and len(world.comments):
        item = world.comments.pick(rng)
        assert item is not None
        target, community_id = ("comment", item[0]), item[4]
    elif roll < 0.95:
        other = world.random_active()
        if other is None or other == uid:
            return
        target = ("user", other)
    elif world.groups:
        gid = rng.choice(list(world.groups)[-50:])
        target, group_id, community_id = ("group", gid), gid, world.groups[gid].community_id
    else:
        return
    rid = world.next_id("report")
    world.emit(
        batch, ms, "report_filed", uid, "report", str(rid),
        {"report_id": rid, "reporter_id": uid, "target_type": target[0], "target_id": target[1],
         "reason": rng.choices(REPORT_REASONS, REPORT_REASON_WEIGHTS)[0],
         "community_id": community_id, "group_id": group_id},
    )  # fmt: skip
    world.open_reports.append((rid, community_id, group_id))


def delete_post(world: World, batch: Batch, uid: int, ms: int) -> None:
    post = world.last_post.get(uid)
    if post is None or post.post_id in world.deleted_posts:
        return
    world.deleted_posts.add(post.post_id)
    world.emit(
        batch, ms, "post_deleted", uid, "post", str(post.post_id),
        {"post_id": post.post_id, "author_id": uid, "removed_by": "author"},
    )  # fmt: skip


# --- the minute -------------------------------------------------------------------------


def _reaction_target(world: World, uid: int) -> tuple[str, int, int, int | None] | None:
    rng = world.rng
    roll = rng.random()
    if roll < 0.7:
        post, _ = feed_pick(world, uid)
        return ("post", post.post_id, post.author_id, post.community_id) if post else None
    if roll < 0.85:
        c = world.comments.pick(rng)
        return ("comment", c[0], c[1], c[4]) if c and c[0] not in world.deleted_comments else None
    if roll < 0.95:
        r = world.reels.pick(rng)
        return ("reel", r[0], r[1], None) if r else None
    s = world.stories.pick(rng)
    if s and world.next_minute - s[2] < STORY_TTL_MINUTES:
        return ("story", s[0], s[1], None)
    return None


def step(world: World, batch: Batch) -> None:
    """All organic content activity of online users in this minute."""
    online = world.online
    if not online:
        return
    rng = world.rng
    n = len(online)
    count = world.count
    ms = world.ms
    rand = rng.random

    def actor() -> int:
        return online[int(rand() * n)]

    for _ in range(count(n * RATES["post_viewed"])):
        viewer = actor()
        post, source = feed_pick(world, viewer)
        if post is not None:
            view_post(world, batch, viewer, post, ms(), source)
    reels = world.reels
    for _ in range(count(n * RATES["reel_viewed"]) if len(reels) else 0):
        rid, author, _ = reels.items[int(rand() * len(reels.items))]
        watched = int(rng.expovariate(1 / 9000))
        viewer = actor()
        world.emit(
            batch, ms(), "reel_viewed", viewer, "reel", str(rid),
            {"reel_id": rid, "author_id": author, "viewer_id": viewer,
             "watched_ms": min(watched, 3_600_000), "completed": watched > 15_000},
        )  # fmt: skip
    stories = world.stories
    for _ in range(count(n * RATES["story_viewed"]) if len(stories) else 0):
        sid, author, minute = stories.items[int(rand() * len(stories.items))]
        if world.next_minute - minute >= STORY_TTL_MINUTES:
            continue
        viewer = actor()
        world.emit(
            batch, ms(), "story_viewed", viewer, "story", str(sid),
            {"story_id": sid, "author_id": author, "viewer_id": viewer},
        )  # fmt: skip
    for _ in range(count(n * RATES["reaction_added"])):
        uid = actor()
        target = _reaction_target(world, uid)
        if target is not None:
            react(world, batch, uid, ms(), target)
    for _ in range(count(n * RATES["reaction_removed"])):
        unreact(world, batch, ms())
    for _ in range(count(n * RATES["comment_created"])):
        comment(world, batch, actor(), ms())
    for _ in range(count(n * RATES["reply_created"])):
        reply(world, batch, actor(), ms())
    for _ in range(count(n * RATES["comment_deleted"])):
        delete_comment(world, batch, ms())
    for _ in range(count(n * RATES["post_shared"] + n * RATES["post_quoted"])):
        uid = actor()
        post, _ = feed_pick(world, uid)
        if post is not None:
            quote = rng.random() < RATES["post_quoted"] / (
                RATES["post_shared"] + RATES["post_quoted"]
            )
            share(world, batch, uid, ms(), post, None, quote)
    # Heavy users create most content: pick creators by activity weight among the online.
    for _ in range(count(n * RATES["post_created"])):
        uid = actor()
        if rng.random() * 4 < world.users[uid].weight:
            create_post(world, batch, uid, ms())
    for _ in range(count(n * RATES["story_created"])):
        create_story(world, batch, actor(), ms())
    for _ in range(count(n * RATES["reel_created"])):
        create_reel(world, batch, actor(), ms())
    for _ in range(count(n * RATES["post_deleted"])):
        delete_post(world, batch, actor(), ms())
    for _ in range(count(n * RATES["report_filed"])):
        report(world, batch, actor(), ms())
    for _ in range(count(n * RATES["album_created"])):
        create_album(world, batch, actor(), ms())
    for _ in range(count(n * RATES["album_photo"])):
        uid = actor()
        albums = world.albums.get(uid)
        if albums:
            upload_photo(world, batch, uid, ms(), album_id=albums[-1])
    for sid, author, at_ms in world.story_expiry.pop(batch.index, []):
        world.emit(
            batch, at_ms, "story_expired", None, "story", str(sid),
            {"story_id": sid, "author_id": author},
        )  # fmt: skip


def step_cascades(world: World, batch: Batch) -> None:
    """Advance every viral cascade by one minute (views, shares, quotes, reactions, comments).

    A cascade's views per minute are capped at :data:`CASCADE_VIEW_CAP` whatever the world's
    size (a bigger world has more cascades, not bigger minutes), and the level itself stops
    at the cap, so the decay starts from the plateau.
    """
    rng = world.rng
    rand = rng.random
    active = world.active_ids
    share_end = SHARE_PER_VIRAL_VIEW + QUOTE_PER_VIRAL_VIEW
    react_end = share_end + REACTION_PER_VIRAL_VIEW
    comment_end = react_end + COMMENT_PER_VIRAL_VIEW
    emit = world.emit
    alive: list[Cascade] = []
    for cascade in world.cascades:
        post = cascade.post
        if post.post_id in world.deleted_posts or post.minute >= batch.index:
            if post.minute >= batch.index:
                alive.append(cascade)  # created this minute: starts spreading next minute
            continue
        post_id, author = post.post_id, post.author_id
        entity_id = str(post_id)
        shares = cascade.shares
        n_active = len(active)
        for _ in range(world.count(cascade.level) if n_active else 0):
            viewer = active[int(rand() * n_active)]
            at = int(rand() * 58_000)
            via = shares[int(rand() * len(shares))] if shares and rand() < 0.7 else None
            emit(
                batch, at, "post_viewed", viewer, "post", entity_id,
                {"post_id": post_id, "author_id": author, "viewer_id": viewer,
                 "source": "share" if via else "feed", "via_share_id": via[0] if via else None,
                 "dwell_ms": min(3_600_000, int(rng.expovariate(1 / 7000)))},
            )  # fmt: skip
            roll = rand()
            if roll >= comment_end:
                continue
            if roll < share_end:
                made = share(world, batch, viewer, at + 500, post, via, roll < QUOTE_PER_VIRAL_VIEW)
                if made:
                    shares.append(made)
            elif roll < react_end:
                target = ("post", post_id, author, post.community_id)
                react(world, batch, viewer, at + 300, target)
            else:
                comment(world, batch, viewer, at + 800, post)
        if cascade.minutes_to_peak > 0:
            cascade.level = min(cascade.level * cascade.growth, CASCADE_VIEW_CAP)
        else:
            cascade.level *= CASCADE_DECAY
        cascade.minutes_to_peak -= 1
        if cascade.minutes_to_peak == -3:
            people.award_badge(world, batch, rng.randrange(0, 60_000), author, "viral_post")
        if cascade.level >= 1:
            alive.append(cascade)
    world.cascades = alive
