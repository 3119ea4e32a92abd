"""Users: who they are (Faker-based identities), when they are online, how they change, churn.

Faker is slow (tens of microseconds per value) and its output may change between releases, so
a world builds small per-locale *pools* once from its seed and stores them in its state;
identities are then combinations of pool entries, fast and stable across restarts.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from typing import Any

from faker import Faker

from generator.world import Batch, User, World, minute_of
from socialpulse.contracts import ALL_TOPICS

LOCALE_WEIGHTS: dict[str, float] = {
    "en_US": 0.30, "en_GB": 0.08, "de_DE": 0.08, "fr_FR": 0.07, "es_ES": 0.07, "pt_BR": 0.10,
    "it_IT": 0.05, "pl_PL": 0.05, "nl_NL": 0.03, "ru_RU": 0.07, "ja_JP": 0.06, "tr_TR": 0.04,
}  # fmt: skip
LOCALE_COUNTRY = {
    "en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "es_ES": "ES", "pt_BR": "BR",
    "it_IT": "IT", "pl_PL": "PL", "nl_NL": "NL", "ru_RU": "RU", "ja_JP": "JP", "tr_TR": "TR",
}  # fmt: skip
LOCALE_CURRENCY = {
    "en_US": "USD", "en_GB": "GBP", "de_DE": "EUR", "fr_FR": "EUR", "es_ES": "EUR",
    "pt_BR": "BRL", "it_IT": "EUR", "pl_PL": "PLN", "nl_NL": "EUR", "ru_RU": "RUB",
    "ja_JP": "JPY", "tr_TR": "TRY",
}  # fmt: skip
DEVICES = ("android", "ios", "web")
DEVICE_WEIGHTS = (0.5, 0.3, 0.2)

SESSIONS_PER_USER_DAY = 1.6  # average sessions per active user per day
MEAN_SESSION_MINUTES = 14
GROWTH_PER_DAY = 0.015  # new users per day, as a share of active users
CHURN_PER_DAY = 0.008  # deactivations per day, as a share of active users
POOL_SIZE = 120


def _ascii_slug(text: str) -> str:
    """Lower-case ASCII letters/digits only (usernames and e-mails must match the contract)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def build_pools(seed: int) -> dict[str, Any]:
    """Names, cities, e-mail domains and sentences per locale, from a seeded Faker."""
    pools: dict[str, Any] = {
        "locales": list(LOCALE_WEIGHTS),
        "weights": list(LOCALE_WEIGHTS.values()),
    }
    for i, locale in enumerate(LOCALE_WEIGHTS):
        fake = Faker(locale)
        fake.seed_instance(seed * 1000 + i)
        pools[locale] = {
            "first": [fake.first_name() for _ in range(POOL_SIZE)],
            "last": [fake.last_name() for _ in range(POOL_SIZE)],
            "city": [fake.city()[:100] for _ in range(POOL_SIZE // 2)],
            "domain": sorted({fake.free_email_domain() for _ in range(20)}),
            "sentence": [fake.sentence(nb_words=9)[:240] for _ in range(POOL_SIZE * 2)],
        }
    fake = Faker("en_US")
    fake.seed_instance(seed)
    pools["companies"] = [fake.company()[:80] for _ in range(POOL_SIZE)]
    pools["catch"] = [fake.catch_phrase()[:150] for _ in range(POOL_SIZE)]
    pools["words"] = [_ascii_slug(w) or "news" for w in fake.words(nb=POOL_SIZE)]
    pools["topics"] = list(ALL_TOPICS)
    return pools


def sentence(world: World, locale: str) -> str:
    pool: list[str] = world.pools[locale]["sentence"]
    return pool[world.rng.randrange(len(pool))]


def register(world: World, batch: Batch, ms: int) -> int:
    """Create a user with profile, settings and privacy; they come online right away."""
    rng = world.rng
    locale = rng.choices(world.pools["locales"], weights=world.pools["weights"])[0]
    pool = world.pools[locale]
    uid = world.next_id("user")
    first = pool["first"][rng.randrange(POOL_SIZE)]
    last = pool["last"][rng.randrange(POOL_SIZE)]
    slug = (_ascii_slug(first)[:12] + "." + _ascii_slug(last)[:12]).strip(".") or "user"
    username = f"{slug}{uid}"
    # Activity propensity: Pareto, so a few users do most of the posting (heavy tail).
    weight = min(rng.paretovariate(1.6), 60.0)
    user = User(
        user_id=uid,
        locale=locale,
        currency=LOCALE_CURRENCY[locale],
        country=LOCALE_COUNTRY[locale],
        weight=weight,
        joined_minute=batch.index,
        username=username,
        first_name=first,
    )
    world.users[uid] = user
    world.pending_users.append(uid)
    age_years = min(80, 15 + int(rng.expovariate(1 / 14)))
    birthday = batch.minute.date() - timedelta(days=age_years * 365 + rng.randrange(365) + 5)
    device = rng.choices(DEVICES, weights=DEVICE_WEIGHTS)[0]
    key = str(uid)
    world.emit(
        batch, ms, "user_registered", uid, "user", key,
        {
            "user_id": uid,
            "username": username,
            "email": f"{username}@{pool['domain'][rng.randrange(len(pool['domain']))]}",
            "full_name": f"{first} {last}"[:200],
            "locale": locale,
            "country": user.country,
            "birthday": birthday.isoformat(),
            "signup_device": device,
        },
    )  # fmt: skip
    emit_profile(world, batch, ms + 1, user)
    emit_settings(world, batch, ms + 2, user)
    emit_privacy(world, batch, ms + 3, user)
    start_session(world, batch, uid, ms + 4, device)
    if uid <= 100:
        award_badge(world, batch, ms + 5, uid, "early_adopter")
    return uid


def emit_profile(world: World, batch: Batch, ms: int, user: User) -> None:
    rng = world.rng
    pool = world.pools[user.locale]
    has_site = rng.random() < 0.15
    world.emit(
        batch, ms, "user_profile_updated", user.user_id, "user", str(user.user_id),
        {
            "user_id": user.user_id,
            "display_name": user.first_name[:200] or user.username,
            "bio": sentence(world, user.locale)[:500] if rng.random() < 0.7 else "",
            "city": pool["city"][rng.randrange(len(pool["city"]))],
            "website": f"https://{user.username.replace('.', '-')}.example.com" if has_site else None,
            "avatar_photo_id": None,
        },
    )  # fmt: skip


def emit_settings(world: World, batch: Batch, ms: int, user: User) -> None:
    rng = world.rng
    world.emit(
        batch, ms, "user_settings_changed", user.user_id, "user", str(user.user_id),
        {
            "user_id": user.user_id,
            "language": user.locale if rng.random() < 0.9 else "en_US",
            "theme": rng.choice(("light", "dark", "system")),
            "email_notifications": rng.random() < 0.6,
            "push_notifications": rng.random() < 0.8,
            "autoplay_videos": rng.random() < 0.7,
        },
    )  # fmt: skip


def emit_privacy(world: World, batch: Batch, ms: int, user: User) -> None:
    rng = world.rng
    world.emit(
        batch, ms, "user_privacy_changed", user.user_id, "user", str(user.user_id),
        {
            "user_id": user.user_id,
            "profile_visibility": rng.choices(("public", "friends", "private"), (0.6, 0.3, 0.1))[0],
            "message_permission": rng.choices(("everyone", "friends", "nobody"), (0.4, 0.5, 0.1))[0],
            "show_online_status": rng.random() < 0.75,
            "searchable": rng.random() < 0.85,
        },
    )  # fmt: skip


def award_badge(world: World, batch: Batch, ms: int, user_id: int, badge: str) -> None:
    """Award a badge once per user (system event)."""
    if (user_id, badge) in world.badges:
        return
    world.badges.add((user_id, badge))
    world.emit(
        batch, ms, "badge_awarded", None, "badge", f"{user_id}:{badge}",
        {"user_id": user_id, "badge": badge},
    )  # fmt: skip


def start_session(world: World, batch: Batch, uid: int, ms: int, device: str | None = None) -> None:
    """Emit ``user_came_online``; the user acts from the next minute until the session ends."""
    rng = world.rng
    sid = world.next_id("session")
    world.sessions[uid] = (sid, batch.index * 60_000 + min(ms, 59_999))
    length = min(180, 1 + int(rng.expovariate(1 / MEAN_SESSION_MINUTES)))
    world.session_ends.setdefault(batch.index + length, []).append(uid)
    world.emit(
        batch, ms, "user_came_online", uid, "session", str(sid),
        {"user_id": uid, "session_id": sid, "device": device or rng.choices(DEVICES, DEVICE_WEIGHTS)[0]},
    )  # fmt: skip


def end_session(world: World, batch: Batch, uid: int, ms: int) -> None:
    session = world.sessions.pop(uid, None)
    world.set_offline(uid)
    if session is None:
        return
    sid, start_abs_ms = session
    seconds = max(0, (batch.index * 60_000 + ms - start_abs_ms) // 1000)
    world.emit(
        batch, ms, "user_went_offline", uid, "session", str(sid),
        {"user_id": uid, "session_id": sid, "session_seconds": min(seconds, 86_400)},
    )  # fmt: skip


def step_sessions(world: World, batch: Batch, activity: float) -> list[int]:
    """End due sessions, start new ones; returns users who came online (they act next minute)."""
    for uid in world.session_ends.pop(batch.index, []):
        if uid in world.sessions:
            end_session(world, batch, uid, world.rng.randrange(0, 60_000))
    rate = len(world.active_ids) * SESSIONS_PER_USER_DAY * activity / 1440
    started: list[int] = []
    for uid in world.weighted_users(world.count(rate)):
        if uid in world.sessions or not world.users[uid].active:
            continue
        start_session(world, batch, uid, world.ms())
        started.append(uid)
    return started


def step_changes(world: World, batch: Batch, online: int) -> None:
    """Occasional profile/settings/privacy edits by online users."""
    for rate, emitter in (
        (0.002, emit_profile),
        (0.0008, emit_settings),
        (0.0005, emit_privacy),
    ):
        for _ in range(world.count(online * rate)):
            user = world.users[world.online[world.rng.randrange(len(world.online))]]
            emitter(world, batch, world.ms(), user)
    if world.rng.random() < online * 0.00005:
        uid = world.online[world.rng.randrange(len(world.online))]
        award_badge(
            world, batch, world.ms(), uid, world.rng.choice(("verified", "helpful_commenter"))
        )


def step_churn(world: World, batch: Batch, activity: float) -> None:
    """Deactivate a few users (at the end of the minute: nothing of theirs may follow)."""
    for _ in range(world.count(len(world.active_ids) * CHURN_PER_DAY * activity / 1440)):
        uid = world.random_active()
        if uid is None or uid in world.pending_users:
            continue
        if uid in world.sessions:
            end_session(world, batch, uid, 59_998)
        world.deactivate(uid)
        reason = world.rng.choices(
            ("user_request", "inactivity", "policy_violation"), (0.6, 0.35, 0.05)
        )[0]
        world.emit(
            batch, 59_999, "user_deactivated", uid, "user", str(uid),
            {"user_id": uid, "reason": reason},
        )  # fmt: skip


def new_user_count(world: World, activity: float) -> int:
    """How many users register this minute: bootstrap first, then organic growth."""
    if world.bootstrap_queue > 0:
        n = min(world.bootstrap_queue, world.bootstrap_per_minute)
        world.bootstrap_queue -= n
        return n
    return world.count(len(world.active_ids) * GROWTH_PER_DAY * activity / 1440)


def today(world: World) -> date:
    return minute_of(world.next_minute).date()
