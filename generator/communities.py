"""Communities and groups: creation with topics, members joining and leaving, moderators,
pinned posts, and moderators resolving complaints.

Users pick groups by size (preferential attachment), so a few groups grow fast; some new
groups start "trending" with an extra pull.
"""

from __future__ import annotations

from generator.world import Batch, Community, Group, World

TOPIC_COUNT = (1, 3)
JOIN_RATE = 0.006  # per online user per minute
LEAVE_RATE = 0.0012
COMMUNITIES_PER_DAY_PER_1K = 0.5
GROUPS_PER_DAY_PER_1K = 2.0
STAFF_MODERATORS = 5  # user ids 1..5 moderate reports outside any group


def create_community(world: World, batch: Batch, owner: int, ms: int) -> Community:
    rng = world.rng
    cid = world.next_id("community")
    topics = rng.sample(world.pools["topics"], rng.randint(*TOPIC_COUNT))
    name = f"{topics[0].capitalize()} {rng.choice(world.pools['words']).capitalize()} {cid}"
    world.emit(
        batch, ms, "community_created", owner, "community", str(cid),
        {"community_id": cid, "owner_id": owner, "name": name[:200],
         "description": rng.choice(world.pools["catch"]),
         "visibility": "public" if rng.random() < 0.85 else "private"},
    )  # fmt: skip
    for i, topic in enumerate(topics):
        world.emit(
            batch, ms + 1 + i, "community_topic_added", owner, "community", f"{cid}:{topic}",
            {"community_id": cid, "topic": topic},
        )  # fmt: skip
    community = Community(cid, owner, topics)
    world.communities.append(community)
    for _ in range(rng.randint(1, 3)):
        create_group(world, batch, community, owner, ms + 10)
    return community


def create_group(world: World, batch: Batch, community: Community, owner: int, ms: int) -> Group:
    rng = world.rng
    gid = world.next_id("group")
    topic = rng.choice(community.topics)
    world.emit(
        batch, ms, "group_created", owner, "group", str(gid),
        {"group_id": gid, "community_id": community.community_id, "owner_id": owner,
         "name": f"{topic.capitalize()} {rng.choice(world.pools['words'])} {gid}"[:200],
         "privacy": rng.choices(("public", "closed", "secret"), (0.75, 0.2, 0.05))[0]},
    )  # fmt: skip
    group = Group(gid, community.community_id, owner, topic)
    world.groups[gid] = group
    community.groups.append(gid)
    # Each group is findable once; a trending one is much easier to find.
    world.group_endpoints.extend([gid] * (25 if rng.random() < 0.1 else 1))
    join(world, batch, owner, gid, ms + 1, "joined")
    add_moderator(world, batch, group, owner, owner, ms + 2)
    return group


def join(world: World, batch: Batch, uid: int, gid: int, ms: int, reason: str) -> bool:
    group = world.groups[gid]
    if uid in group.member_set or ("group", gid, uid) in world.touched:
        return False
    world.touched.add(("group", gid, uid))
    group.member_set.add(uid)
    group.members.append(uid)
    world.user_groups.setdefault(uid, []).append(gid)
    world.group_endpoints.append(gid)
    world.emit(
        batch, ms, "group_joined", uid, "group_membership", f"{gid}:{uid}",
        {"group_id": gid, "community_id": group.community_id, "user_id": uid, "reason": reason},
    )  # fmt: skip
    return True


def leave(world: World, batch: Batch, uid: int, ms: int) -> None:
    rng = world.rng
    mine = world.user_groups.get(uid)
    if not mine:
        return
    gid = mine[rng.randrange(len(mine))]
    group = world.groups[gid]
    if uid == group.owner_id or ("group", gid, uid) in world.touched:
        return
    world.touched.add(("group", gid, uid))
    if uid in group.moderators:
        remove_moderator(world, batch, group, uid, ms)
    group.member_set.discard(uid)
    group.members.remove(uid)
    mine.remove(gid)
    reason = rng.choices(("left", "removed", "banned"), (0.9, 0.07, 0.03))[0]
    actor = uid if reason == "left" else group.owner_id
    world.emit(
        batch, ms + 1, "group_left", actor, "group_membership", f"{gid}:{uid}",
        {"group_id": gid, "community_id": group.community_id, "user_id": uid, "reason": reason},
    )  # fmt: skip


def add_moderator(world: World, batch: Batch, group: Group, uid: int, by: int, ms: int) -> None:
    if uid in group.moderators:
        return
    group.moderators.append(uid)
    world.emit(
        batch, ms, "group_moderator_added", by, "group_moderator", f"{group.group_id}:{uid}",
        {"group_id": group.group_id, "community_id": group.community_id, "user_id": uid,
         "by_user_id": by},
    )  # fmt: skip


def remove_moderator(world: World, batch: Batch, group: Group, uid: int, ms: int) -> None:
    group.moderators.remove(uid)
    world.emit(
        batch, ms, "group_moderator_removed", group.owner_id, "group_moderator",
        f"{group.group_id}:{uid}",
        {"group_id": group.group_id, "community_id": group.community_id, "user_id": uid,
         "by_user_id": group.owner_id},
    )  # fmt: skip


def _random_group(world: World) -> Group | None:
    if not world.group_endpoints:
        return None
    return world.groups[world.group_endpoints[world.rng.randrange(len(world.group_endpoints))]]


def initial_groups(world: World, batch: Batch, uid: int, ms: int) -> None:
    """A newcomer joins one to three groups."""
    for _ in range(world.rng.randint(1, 3)):
        group = _random_group(world)
        if group is not None:
            join(world, batch, uid, group.group_id, ms + world.rng.randrange(10, 3000), "joined")


def step(world: World, batch: Batch) -> None:
    rng = world.rng
    online = world.online
    n = len(online)
    active = len(world.active_ids)
    day_share = 1 / 1440
    if online and rng.random() < active / 1000 * COMMUNITIES_PER_DAY_PER_1K * day_share:
        create_community(world, batch, online[rng.randrange(n)], world.ms())
    if (
        online
        and world.communities
        and rng.random() < active / 1000 * GROUPS_PER_DAY_PER_1K * day_share
    ):
        community = world.communities[rng.randrange(len(world.communities))]
        create_group(world, batch, community, online[rng.randrange(n)], world.ms())
    for _ in range(world.count(n * JOIN_RATE)):
        uid = online[rng.randrange(n)]
        friends = world.friends.get(uid)
        via = friends[rng.randrange(len(friends))] if friends and rng.random() < 0.25 else None
        theirs = world.user_groups.get(via) if via is not None else None
        if theirs:
            join(world, batch, uid, theirs[rng.randrange(len(theirs))], world.ms(), "invited")
        else:
            group = _random_group(world)
            if group is not None:
                join(world, batch, uid, group.group_id, world.ms(), "joined")
    for _ in range(world.count(n * LEAVE_RATE)):
        leave(world, batch, online[rng.randrange(n)], world.ms())
    # Moderation: big groups get more moderators; moderators pin posts and resolve reports.
    for _ in range(world.count(len(world.groups) * 0.002)):
        group = _random_group(world)
        if group is None or len(group.moderators) > 1 + len(group.members) // 40:
            continue
        candidate = group.members[rng.randrange(len(group.members))]
        if world.is_active(candidate):
            add_moderator(world, batch, group, candidate, group.owner_id, world.ms())
    for _ in range(world.count(len(world.groups) * 0.001)):
        group = _random_group(world)
        if group is not None and len(group.moderators) > 1:
            mod = group.moderators[-1]
            if mod != group.owner_id and ("group", group.group_id, mod) not in world.touched:
                remove_moderator(world, batch, group, mod, world.ms())
    for _ in range(world.count(len(world.groups) * 0.003)):
        group = _random_group(world)
        if group is None or not group.posts:
            continue
        by = group.moderators[rng.randrange(len(group.moderators))]
        ms = world.ms()
        if len(group.pinned) >= 2:
            _pin(world, batch, group, group.pinned.pop(0), by, ms, "post_unpinned")
        post_id = group.posts[-1]
        if post_id not in group.pinned and post_id not in world.deleted_posts:
            group.pinned.append(post_id)
            _pin(world, batch, group, post_id, by, ms + 1, "post_pinned")
    resolve_reports(world, batch)


def _pin(
    world: World, batch: Batch, group: Group, post_id: int, by: int, ms: int, kind: str
) -> None:
    world.emit(
        batch, ms, kind, by, "pinned_post", f"{group.group_id}:{post_id}",
        {"group_id": group.group_id, "community_id": group.community_id, "post_id": post_id,
         "by_user_id": by},
    )  # fmt: skip


def resolve_reports(world: World, batch: Batch) -> None:
    """Moderators work through the oldest open reports (some stay open for a while)."""
    rng = world.rng
    keep = []
    for report in world.open_reports:
        if rng.random() > 0.05:
            keep.append(report)
            continue
        rid, community_id, group_id = report
        group = world.groups.get(group_id) if group_id is not None else None
        if group is not None and group.moderators:
            moderator = group.moderators[rng.randrange(len(group.moderators))]
        else:
            moderator = rng.randint(1, min(STAFF_MODERATORS, max(1, len(world.users))))
        world.emit(
            batch, world.ms(), "report_resolved", moderator, "report", str(rid),
            {"report_id": rid, "moderator_id": moderator,
             "outcome": rng.choices(("dismissed", "content_removed", "user_warned",
                                     "user_suspended"), (0.55, 0.3, 0.12, 0.03))[0],
             "community_id": community_id, "group_id": group_id},
        )  # fmt: skip
    world.open_reports = keep
