"""One simulated minute, end to end: the order in which the world's parts act.

A new world starts empty and registers its initial users during a *bootstrap hour* (new users
attach to the growing graph, Barabasi-Albert style); communities and ad campaigns appear in
the second minute, once there are users to own them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from generator import communities, content, monetisation, people, social
from generator.world import World, new_world, rhythm, start_batch

BOOTSTRAP_MINUTES = 60


def create_world(seed: int, start: datetime, users: int) -> World:
    """A new world that will register ``users`` users during its first hour."""
    world = new_world(seed, start)
    world.pools = people.build_pools(seed)
    world.bootstrap_queue = users
    world.bootstrap_per_minute = max(1, -(-users // BOOTSTRAP_MINUTES))
    world.counters["bootstrap_users"] = users
    return world


def step(world: World) -> tuple[datetime, list[dict[str, Any]]]:
    """Advance the world by one minute; returns that minute and its events by occurred_at."""
    batch = start_batch(world)
    activity = rhythm(batch.minute)
    # The first minutes after bootstrap create shared structure once users exist.
    if world.counters.get("communities_bootstrapped", 0) == 0 and world.active_ids:
        users = world.counters.get("bootstrap_users", 0)
        for _ in range(max(3, users // 150)):
            communities.create_community(world, batch, world.random_active() or 1, world.ms())
        monetisation.bootstrap(world, batch, users)
        world.counters["communities_bootstrapped"] = 1
    # Users who are online for the whole minute act; sessions start/end around them.
    people.step_sessions(world, batch, activity)
    content.step_cascades(world, batch)
    communities.step(world, batch)
    social.step(world, batch)
    content.step(world, batch)
    monetisation.step(world, batch)
    people.step_changes(world, batch, len(world.online))
    for _ in range(people.new_user_count(world, activity)):
        ms = world.rng.randrange(0, 50_000)
        uid = people.register(world, batch, ms)
        social.initial_ties(world, batch, uid, ms + 10)
        if world.groups:
            communities.initial_groups(world, batch, uid, ms + 10)
    people.step_churn(world, batch, activity)
    # Users who came online this minute start acting next minute.
    for uid in world.sessions:
        if uid not in world.online_pos and world.users[uid].active:
            world.set_online(uid)
    world.commit()
    return batch.minute, batch.sorted_events()
