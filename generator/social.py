"""Social ties: friendships (mutual), follows (one-way), paid subscriptions, blocks, mutes,
close friends; each can start and end.

Partners are chosen by *preferential attachment* (sampling from a list of edge endpoints picks
a user with probability proportional to their degree), which yields heavy-tailed degrees, mixed
with *triadic closure* (a friend of a friend), which yields clustering.
"""

from __future__ import annotations

from generator.world import Batch, World

TIER_PRICE = {"basic": 4.99, "plus": 9.99, "premium": 19.99}
CURRENCY_FACTOR = {
    "USD": 1.0, "EUR": 0.95, "GBP": 0.8, "BRL": 5.0, "JPY": 150.0, "PLN": 4.0, "RUB": 90.0,
    "TRY": 32.0,
}  # fmt: skip
CHARGE_PERIOD_MINUTES = 30 * 1440


def price(amount_usd: float, currency: str) -> float:
    """A USD amount in ``currency`` with that currency's usual precision."""
    value = amount_usd * CURRENCY_FACTOR[currency]
    return float(max(1, round(value))) if currency == "JPY" else max(0.01, round(value, 2))


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _free(world: World, *key: object) -> bool:
    """True once per minute per relationship, so a tie never starts and ends in one file."""
    if key in world.touched:
        return False
    world.touched.add(key)
    return True


def _pick(world: World, items: list[int] | None) -> int | None:
    return items[world.rng.randrange(len(items))] if items else None


def friend_candidate(world: World, uid: int) -> tuple[int | None, str]:
    rng = world.rng
    roll = rng.random()
    if roll < 0.45:
        via = _pick(world, world.friends.get(uid))
        if via is not None:
            return _pick(world, world.friends.get(via)), "mutual_friend"
    if roll < 0.85 and world.friend_endpoints:
        return _pick(world, world.friend_endpoints), "suggestion"
    return world.random_active(), rng.choice(("search", "contact_import"))


def start_friendship(world: World, batch: Batch, uid: int, ms: int) -> bool:
    other, source = friend_candidate(world, uid)
    if other is None or other == uid or not world.is_active(other):
        return False
    pair = _pair(uid, other)
    if pair in world.friend_pairs or uid in world.blocks.get(other, ()):
        return False
    if not _free(world, "friend", *pair):
        return False
    world.friend_pairs.add(pair)
    world.friends.setdefault(uid, []).append(other)
    world.friends.setdefault(other, []).append(uid)
    world.friend_endpoints.extend(pair)
    world.emit(
        batch, ms, "friendship_started", uid, "friendship", f"{pair[0]}:{pair[1]}",
        {"user_id": uid, "friend_id": other, "source": source},
    )  # fmt: skip
    return True


def end_friendship(world: World, batch: Batch, uid: int, ms: int) -> None:
    other = _pick(world, world.friends.get(uid))
    if other is None:
        return
    pair = _pair(uid, other)
    if not _free(world, "friend", *pair):
        return
    world.friend_pairs.discard(pair)
    world.friends[uid].remove(other)
    world.friends[other].remove(uid)
    # Ending a friendship also ends "close friend" from the actor's side.
    close = world.close_friends.get(uid)
    if close and other in close:
        close.remove(other)
        world.emit(
            batch, ms, "close_friend_removed", uid, "close_friend", f"{uid}:{other}",
            {"user_id": uid, "target_user_id": other},
        )  # fmt: skip
    world.emit(
        batch, ms + 1, "friendship_ended", uid, "friendship", f"{pair[0]}:{pair[1]}",
        {"user_id": uid, "friend_id": other, "source": "none"},
    )  # fmt: skip


def start_follow(world: World, batch: Batch, uid: int, ms: int) -> bool:
    rng = world.rng
    if rng.random() < 0.75 and world.follow_endpoints:
        other = _pick(world, world.follow_endpoints)
    else:
        via = _pick(world, world.following.get(uid)) or _pick(world, world.friends.get(uid))
        other = _pick(world, world.following.get(via)) if via else world.random_active()
    if other is None or other == uid or not world.is_active(other):
        return False
    key = (uid, other)
    if key in world.follow_pairs or not _free(world, "follow", *key):
        return False
    world.follow_pairs.add(key)
    world.following.setdefault(uid, []).append(other)
    world.follower_count[other] = world.follower_count.get(other, 0) + 1
    world.follow_endpoints.append(other)
    world.emit(
        batch, ms, "follow_started", uid, "follow", f"{uid}:{other}",
        {"follower_id": uid, "followee_id": other},
    )  # fmt: skip
    return True


def end_follow(world: World, batch: Batch, uid: int, ms: int) -> None:
    other = _pick(world, world.following.get(uid))
    if other is None or not _free(world, "follow", uid, other):
        return
    world.follow_pairs.discard((uid, other))
    world.following[uid].remove(other)
    world.follower_count[other] -= 1
    world.emit(
        batch, ms, "follow_ended", uid, "follow", f"{uid}:{other}",
        {"follower_id": uid, "followee_id": other},
    )  # fmt: skip


def start_subscription(world: World, batch: Batch, uid: int, ms: int) -> None:
    # Fans pay the creators with the most followers: sample by in-degree.
    creator = _pick(world, world.follow_endpoints)
    if creator is None or creator == uid or not world.is_active(creator):
        return
    key = (uid, creator)
    if key in world.subscriptions or not _free(world, "sub", *key):
        return
    tier = world.rng.choices(("basic", "plus", "premium"), (0.6, 0.3, 0.1))[0]
    world.subscriptions[key] = tier
    world.subs_of.setdefault(uid, []).append(creator)
    world.emit(
        batch, ms, "subscription_started", uid, "subscription", f"{uid}:{creator}",
        {"subscriber_id": uid, "creator_id": creator, "tier": tier},
    )  # fmt: skip
    charge(world, batch, key, ms + 5)


def charge(world: World, batch: Batch, key: tuple[int, int], ms: int) -> None:
    """Bill one period of a subscription (system event) and schedule the next one."""
    tier = world.subscriptions.get(key)
    if tier is None or not world.is_active(key[0]):
        return
    currency = world.users[key[0]].currency
    start = batch.minute.date()
    world.emit(
        batch, ms, "subscription_charged", None, "subscription_payment",
        str(world.next_id("payment")),
        {
            "payment_id": world.counters["payment"],
            "subscriber_id": key[0],
            "creator_id": key[1],
            "tier": tier,
            "amount": price(TIER_PRICE[tier], currency),
            "currency": currency,
            "period_start": start.isoformat(),
            "period_end": start.fromordinal(start.toordinal() + 30).isoformat(),
        },
    )  # fmt: skip
    world.charges_due.setdefault(batch.index + CHARGE_PERIOD_MINUTES, []).append(key)


def end_subscription(world: World, batch: Batch, ms: int) -> None:
    if not world.subscriptions:
        return
    keys = list(world.subscriptions)
    uid, creator = keys[world.rng.randrange(len(keys))]
    if not world.is_active(uid):
        return
    if creator is None or not _free(world, "sub", uid, creator):
        return
    tier = world.subscriptions.pop((uid, creator))
    world.subs_of[uid].remove(creator)
    world.emit(
        batch, ms, "subscription_ended", uid, "subscription", f"{uid}:{creator}",
        {"subscriber_id": uid, "creator_id": creator, "tier": tier},
    )  # fmt: skip


def _toggle(
    world: World,
    batch: Batch,
    uid: int,
    ms: int,
    table: dict[int, list[int]],
    kind: str,
    start_type: str,
    end_type: str,
    start: bool,
    candidate: int | None,
) -> None:
    """Start or end a one-way user->user tie stored in ``table`` (blocks, mutes, close friends)."""
    if not start:
        # Ends are drawn among users who hold such a tie (a random actor rarely has one).
        holders = [user for user, targets in table.items() if targets]
        if not holders:
            return
        uid = holders[world.rng.randrange(len(holders))]
        if not world.is_active(uid):
            return
    mine = table.setdefault(uid, [])
    target = candidate if start else _pick(world, mine)
    if (
        target is None
        or target == uid
        or (start and (target in mine or not world.is_active(target)))
    ):
        return
    if not _free(world, kind, uid, target):
        return
    if start:
        mine.append(target)
    else:
        mine.remove(target)
    world.emit(
        batch, ms, start_type if start else end_type, uid, kind, f"{uid}:{target}",
        {"user_id": uid, "target_user_id": target},
    )  # fmt: skip


def step(world: World, batch: Batch) -> None:
    """This minute's tie changes, scaled by how many users are online."""
    online = world.online
    if not online:
        return
    rng = world.rng
    n = len(online)

    def actor() -> int:
        return online[rng.randrange(n)]

    for _ in range(world.count(n * 0.010)):
        start_friendship(world, batch, actor(), world.ms())
    for _ in range(world.count(n * 0.0012)):
        end_friendship(world, batch, actor(), world.ms())
    for _ in range(world.count(n * 0.020)):
        start_follow(world, batch, actor(), world.ms())
    for _ in range(world.count(n * 0.0025)):
        end_follow(world, batch, actor(), world.ms())
    for _ in range(world.count(n * 0.0015)):
        start_subscription(world, batch, actor(), world.ms())
    for _ in range(world.count(len(world.subscriptions) * 0.0003)):
        end_subscription(world, batch, world.ms())
    for rate, table, kind, start_type, end_type, start, pick_from in (
        (0.0008, world.blocks, "block", "block_started", "block_ended", True, None),
        (0.0008, world.blocks, "block", "block_started", "block_ended", False, None),
        (0.0015, world.mutes, "mute", "mute_started", "mute_ended", True, world.following),
        (0.0005, world.mutes, "mute", "mute_started", "mute_ended", False, None),
        (0.002, world.close_friends, "close_friend", "close_friend_added",
         "close_friend_removed", True, world.friends),
        (0.001, world.close_friends, "close_friend", "close_friend_added",
         "close_friend_removed", False, None),
    ):  # fmt: skip
        for _ in range(world.count(n * rate)):
            uid = actor()
            candidate = _pick(world, pick_from.get(uid)) if pick_from is not None else None
            if start and pick_from is None:
                candidate = world.random_active()
            _toggle(
                world, batch, uid, world.ms(), table, kind, start_type, end_type, start, candidate
            )
    for key in world.charges_due.pop(batch.index, []):
        charge(world, batch, key, rng.randrange(0, 60_000))


def initial_ties(world: World, batch: Batch, uid: int, ms: int) -> None:
    """A newcomer's first friends and follows (Barabasi-Albert style growth)."""
    rng = world.rng
    for _ in range(min(30, int(rng.expovariate(1 / 4)) + 1)):
        start_friendship(world, batch, uid, ms + rng.randrange(10, 4000))
    for _ in range(min(40, int(rng.expovariate(1 / 6)) + 1)):
        start_follow(world, batch, uid, ms + rng.randrange(10, 4000))
    # Every user is an endpoint once, so newcomers can be found at all.
    world.follow_endpoints.append(uid)
    world.friend_endpoints.append(uid)
