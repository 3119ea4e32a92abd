"""Money: ad campaigns and creatives, impressions and clicks (CTR ~0.5-3 %), sponsorships
of creators by advertisers, donations, and (in ``generator.social``) subscription revenue.
"""

from __future__ import annotations

import math

from generator import people
from generator.social import price
from generator.world import Ad, Batch, World

IMPRESSIONS_PER_ONLINE_MINUTE = 0.6
DONATION_RATE = 0.0006
SPONSORSHIPS_PER_DAY_PER_1K = 3.0
MIN_SPONSORSHIPS_PER_DAY = 6.0  # so that even a small world has some every day
CAMPAIGNS_PER_DAY_PER_1K = 1.0
PLACEMENTS = ("feed", "stories", "reels", "sidebar", "search")
PLACEMENT_WEIGHTS = (0.55, 0.15, 0.15, 0.1, 0.05)
CAMPAIGN_CURRENCIES = ("USD", "EUR", "GBP", "BRL", "JPY")


def create_campaign(world: World, batch: Batch, ms: int) -> None:
    """An advertiser (a company, not a user) starts a campaign with 1-4 creatives."""
    rng = world.rng
    companies: list[str] = world.pools["companies"]
    advertiser_id = rng.randrange(len(companies)) + 1
    cid = world.next_id("campaign")
    currency = rng.choices(CAMPAIGN_CURRENCIES, (0.5, 0.25, 0.1, 0.1, 0.05))[0]
    days = rng.randint(3, 30)
    start = batch.minute.date()
    world.emit(
        batch, ms, "ad_campaign_created", None, "ad_campaign", str(cid),
        {"campaign_id": cid, "advertiser_id": advertiser_id,
         "advertiser_name": companies[advertiser_id - 1],
         "objective": rng.choice(("awareness", "traffic", "engagement", "app_installs",
                                  "conversions")),
         "daily_budget": price(rng.choice((50, 100, 250, 500, 1000, 5000)), currency),
         "currency": currency, "starts_on": start.isoformat(),
         "ends_on": start.fromordinal(start.toordinal() + days).isoformat()},
    )  # fmt: skip
    for _ in range(rng.randint(1, 4)):
        aid = world.next_id("ad")
        placement = rng.choices(PLACEMENTS, PLACEMENT_WEIGHTS)[0]
        topic = rng.choice(world.pools["topics"])
        # CTR per creative: log-normal around ~1.2 %, clipped to a plausible 0.2-5 %.
        ctr = min(0.05, max(0.002, math.exp(rng.gauss(math.log(0.012), 0.5))))
        world.emit(
            batch, ms + 1, "ad_created", None, "ad", str(aid),
            {"ad_id": aid, "campaign_id": cid, "advertiser_id": advertiser_id,
             "format": rng.choice(("image", "video", "carousel", "story", "reel")),
             "headline": rng.choice(world.pools["catch"]),
             "target_url": f"https://ads.example.com/{advertiser_id}/{aid}", "topic": topic},
        )  # fmt: skip
        world.ads.append(
            Ad(aid, cid, advertiser_id, currency, cpm=rng.uniform(1.0, 12.0),
               cpc=rng.uniform(0.1, 2.5), ctr=ctr, placement=placement,
               ends_minute=batch.index + days * 1440)
        )  # fmt: skip


def bootstrap(world: World, batch: Batch, users: int) -> None:
    for _ in range(3 + users // 500):
        create_campaign(world, batch, world.ms())


def _money(value: float) -> float:
    return round(value, 6)


def step(world: World, batch: Batch) -> None:
    rng = world.rng
    online = world.online
    n = len(online)
    active = len(world.active_ids)
    if rng.random() < (1 + active / 1000 * CAMPAIGNS_PER_DAY_PER_1K) / 1440 or not world.ads:
        create_campaign(world, batch, world.ms())
    if any(ad.ends_minute <= batch.index for ad in world.ads):
        world.ads = [ad for ad in world.ads if ad.ends_minute > batch.index]
    ads = world.ads
    if not online or not ads:
        return
    for _ in range(world.count(n * IMPRESSIONS_PER_ONLINE_MINUTE)):
        ad = ads[int(rng.random() * len(ads))]
        uid = online[int(rng.random() * n)]
        ms = int(rng.random() * 55_000)
        impression = world.emit(
            batch, ms, "ad_impression_served", uid, "ad_impression", "",
            {"ad_id": ad.ad_id, "campaign_id": ad.campaign_id, "user_id": uid,
             "placement": ad.placement,
             "cost": _money(price(ad.cpm, ad.currency) / 1000), "currency": ad.currency},
        )  # fmt: skip
        # The impression's id is its event id (no separate counter for the biggest table).
        impression["entity_id"] = impression["event_id"]
        if rng.random() < ad.ctr:
            click = world.emit(
                batch, ms + rng.randrange(300, 4000), "ad_clicked", uid, "ad_click", "",
                {"ad_id": ad.ad_id, "campaign_id": ad.campaign_id, "user_id": uid,
                 "impression_event_id": impression["event_id"],
                 "cost": _money(price(ad.cpc, ad.currency)), "currency": ad.currency},
            )  # fmt: skip
            click["entity_id"] = click["event_id"]
    sponsorships = max(MIN_SPONSORSHIPS_PER_DAY, active / 1000 * SPONSORSHIPS_PER_DAY_PER_1K)
    if rng.random() < sponsorships / 1440 and world.follow_endpoints:
        creator = world.follow_endpoints[rng.randrange(len(world.follow_endpoints))]
        if world.is_active(creator):
            currency = world.users[creator].currency
            post = world.last_post.get(creator)
            sid = world.next_id("sponsorship")
            world.emit(
                batch, world.ms(), "sponsorship_created", None, "sponsorship", str(sid),
                {"sponsorship_id": sid, "advertiser_id": rng.randrange(len(world.pools["companies"])) + 1,
                 "creator_id": creator, "post_id": post.post_id if post else None,
                 "amount": price(rng.choice((50, 100, 250, 500, 1000, 2500)), currency),
                 "currency": currency},
            )  # fmt: skip
    for _ in range(world.count(n * DONATION_RATE)):
        donor = online[rng.randrange(n)]
        user = world.users[donor]
        amount_usd = min(5000.0, math.exp(rng.gauss(math.log(5), 1.0)))
        if rng.random() < 0.8 or not world.communities:
            recipient = world.follow_endpoints[rng.randrange(len(world.follow_endpoints))]
            if recipient == donor or not world.is_active(recipient):
                continue
            kind = "user"
        else:
            recipient, kind = (
                world.communities[rng.randrange(len(world.communities))].community_id,
                "community",
            )
        did = world.next_id("donation")
        ms = world.ms()
        world.emit(
            batch, ms, "donation_made", donor, "donation", str(did),
            {"donation_id": did, "donor_id": donor, "recipient_type": kind,
             "recipient_id": recipient, "amount": price(amount_usd, user.currency),
             "currency": user.currency, "message": people.sentence(world, user.locale)[:280]},
        )  # fmt: skip
        if amount_usd >= 100:
            people.award_badge(world, batch, ms + 1, donor, "generous_donor")
