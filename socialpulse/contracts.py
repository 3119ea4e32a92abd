"""The event contracts: the single source of truth for the generator and for ingestion.

Every line of every event file is one JSON object, an *envelope*::

    {"event_id": "<uuid>", "event_type": "post_created", "occurred_at": "2026-11-22T06:41:07.123Z",
     "schema_version": 1, "actor_id": 42, "entity_type": "post", "entity_id": "1234",
     "payload": {...}}

``event_type`` is the discriminator: it selects the payload model below. The models are
*strict* (a string is never coerced into an int, unknown fields are rejected) because they are
the validation rules of the pipeline: a record that fails here goes to quarantine.

Validation needs a ``now`` (a timezone-aware datetime) in the validation context to reject
events from the future; :func:`validate_line` passes it for you::

    event = validate_line(b'{"event_id": ...}', now=datetime.now(UTC))

Relationships that can end have a start and an end event; :data:`RELATIONSHIP_EVENTS` lists
the pairs so the vault can build effectivity satellites from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Union, cast
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

SCHEMA_VERSION: int = 1

# --- shared field types -----------------------------------------------------------------


class _UserRef:
    """Marker in ``Annotated`` metadata: this field holds a user id (for referential checks)."""


USER_REF = _UserRef()

MAX_INT32 = 2_147_483_647
MAX_INT64 = 9_223_372_036_854_775_807
#: Minimum age of a user at registration (``birthday`` vs the event's ``occurred_at``).
MIN_AGE_YEARS = 13

#: A user id: positive, fits a Postgres ``integer``. Marked so ingestion can check it exists.
UserId = Annotated[int, Field(ge=1, le=MAX_INT32), USER_REF]
#: Any other entity id (posts, comments, media, ...): positive, fits a Postgres ``bigint``.
EntityId = Annotated[int, Field(ge=1, le=MAX_INT64)]
#: Small ids of slowly growing entities (communities, groups, campaigns, advertisers).
SmallId = Annotated[int, Field(ge=1, le=MAX_INT32)]

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=5000)]
#: Money: strictly positive, at most 2 decimals, below 1 000 000 000.
Amount = Annotated[Decimal, Field(gt=0, lt=1_000_000_000, max_digits=12, decimal_places=2)]
#: Ad cost of one impression/click: may be 0, never negative.
Cost = Annotated[Decimal, Field(ge=0, lt=1_000_000, max_digits=12, decimal_places=6)]

Locale = Literal[
    "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "pt_BR", "it_IT", "pl_PL", "nl_NL", "ru_RU",
    "ja_JP", "tr_TR",
]  # fmt: skip
Currency = Literal["USD", "EUR", "GBP", "BRL", "JPY", "PLN", "RUB", "TRY"]
Device = Literal["web", "ios", "android"]
Visibility = Literal["public", "friends", "private"]
ReactionType = Literal["like", "love", "care", "haha", "wow", "sad", "angry"]
ReactionTarget = Literal["post", "reel", "story", "comment"]
CommentTarget = Literal["post", "reel"]
Topic = Literal[
    "technology", "gaming", "music", "movies", "sports", "travel", "food", "fashion", "science",
    "politics", "books", "art", "photography", "fitness", "parenting", "finance", "pets",
    "education", "health", "humor",
]  # fmt: skip
Badge = Literal[
    "early_adopter", "verified", "top_creator", "community_builder", "helpful_commenter",
    "viral_post", "popular", "generous_donor",
]  # fmt: skip
ReportReason = Literal[
    "spam", "harassment", "hate_speech", "nudity", "violence", "misinformation", "scam", "other"
]
ReportTarget = Literal["post", "comment", "reel", "story", "user", "group"]
MediaType = Literal["photo", "video"]
AttachmentTarget = Literal["post", "comment", "story", "reel"]
EntityType = Literal[
    "user", "friendship", "follow", "subscription", "block", "mute", "close_friend", "post",
    "story", "reel", "comment", "share", "reaction", "photo", "video", "album", "attachment",
    "thumbnail", "community", "group", "group_membership", "group_moderator", "pinned_post",
    "report", "ad_campaign", "ad", "ad_impression", "ad_click", "sponsorship", "donation",
    "subscription_payment", "session", "badge",
]  # fmt: skip

ALL_TOPICS: tuple[str, ...] = Topic.__args__  # type: ignore[attr-defined]
ALL_LOCALES: tuple[str, ...] = Locale.__args__  # type: ignore[attr-defined]
ALL_CURRENCIES: tuple[str, ...] = Currency.__args__  # type: ignore[attr-defined]
ALL_REACTIONS: tuple[str, ...] = ReactionType.__args__  # type: ignore[attr-defined]
ALL_BADGES: tuple[str, ...] = Badge.__args__  # type: ignore[attr-defined]
ALL_REPORT_REASONS: tuple[str, ...] = ReportReason.__args__  # type: ignore[attr-defined]


class Payload(BaseModel):
    """Base of every payload: strict types, unknown fields rejected, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# --- users ------------------------------------------------------------------------------


class UserRegisteredPayload(Payload):
    """An account was created (entity ``user``)."""

    user_id: UserId
    username: Annotated[str, Field(pattern=r"^[a-z0-9_.]{3,40}$")]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", max_length=254)]
    full_name: ShortText
    locale: Locale
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    #: From 1900 on (catches typos); the envelope also requires the user to be at least
    #: :data:`MIN_AGE_YEARS` old on the day of registration (``occurred_at``).
    birthday: Annotated[date, Field(ge=date(1900, 1, 1))]
    signup_device: Device


class UserProfileUpdatedPayload(Payload):
    """The public profile changed (entity ``user``); a full snapshot, not a diff."""

    user_id: UserId
    display_name: ShortText
    bio: Annotated[str, Field(max_length=500)]
    city: Annotated[str, Field(max_length=100)]
    website: Annotated[str, Field(max_length=200, pattern=r"^https://")] | None
    avatar_photo_id: EntityId | None


class UserSettingsChangedPayload(Payload):
    """Account settings changed (entity ``user``); a full snapshot."""

    user_id: UserId
    language: Locale
    theme: Literal["light", "dark", "system"]
    email_notifications: bool
    push_notifications: bool
    autoplay_videos: bool


class UserPrivacyChangedPayload(Payload):
    """Privacy settings changed (entity ``user``); a full snapshot."""

    user_id: UserId
    profile_visibility: Visibility
    message_permission: Literal["everyone", "friends", "nobody"]
    show_online_status: bool
    searchable: bool


class UserCameOnlinePayload(Payload):
    """A session started: the user's status became online (entity ``session``)."""

    user_id: UserId
    session_id: EntityId
    device: Device


class UserWentOfflinePayload(Payload):
    """A session ended: the user's status became offline (entity ``session``)."""

    user_id: UserId
    session_id: EntityId
    session_seconds: Annotated[int, Field(ge=0, le=86_400)]


class BadgeAwardedPayload(Payload):
    """The platform awarded a badge to a user (entity ``badge``, key ``user_id:badge``)."""

    user_id: UserId
    badge: Badge


class UserDeactivatedPayload(Payload):
    """The account was closed (churn); the user emits no further events (entity ``user``)."""

    user_id: UserId
    reason: Literal["user_request", "inactivity", "policy_violation"]


# --- social ties ------------------------------------------------------------------------


class FriendshipPayload(Payload):
    """A mutual friendship between two users (entity ``friendship``, key ``min:max``).

    ``user_id`` is the one who acted (accepted or removed); friendship has no direction.
    """

    user_id: UserId
    friend_id: UserId
    source: Literal["suggestion", "mutual_friend", "search", "contact_import", "none"]

    @model_validator(mode="after")
    def _distinct(self) -> FriendshipPayload:
        if self.user_id == self.friend_id:
            raise ValueError("a user cannot befriend themselves")
        return self


class FollowPayload(Payload):
    """A one-way follow (entity ``follow``, key ``follower:followee``)."""

    follower_id: UserId
    followee_id: UserId

    @model_validator(mode="after")
    def _distinct(self) -> FollowPayload:
        if self.follower_id == self.followee_id:
            raise ValueError("a user cannot follow themselves")
        return self


class SubscriptionPayload(Payload):
    """A paid subscription of a fan to a creator (entity ``subscription``)."""

    subscriber_id: UserId
    creator_id: UserId
    tier: Literal["basic", "plus", "premium"]


class UserPairPayload(Payload):
    """A one-way tie between two users: block, mute or close friend (key ``user:target``)."""

    user_id: UserId
    target_user_id: UserId

    @model_validator(mode="after")
    def _distinct(self) -> UserPairPayload:
        if self.user_id == self.target_user_id:
            raise ValueError("user_id and target_user_id must differ")
        return self


# --- content ----------------------------------------------------------------------------


class PostCreatedPayload(Payload):
    """A post was published, on the author's wall or in a group (entity ``post``)."""

    post_id: EntityId
    author_id: UserId
    text: LongText
    language: Locale
    visibility: Visibility
    topic: Topic | None
    group_id: SmallId | None
    community_id: SmallId | None
    media_ids: Annotated[list[EntityId], Field(max_length=20)]
    hashtags: Annotated[list[Annotated[str, Field(pattern=r"^#\w{1,50}$")]], Field(max_length=30)]


class PostDeletedPayload(Payload):
    """A post was removed by its author or by a moderator (entity ``post``)."""

    post_id: EntityId
    author_id: UserId
    removed_by: Literal["author", "moderator"]


class StoryCreatedPayload(Payload):
    """A story was published; it expires exactly 24 hours later (entity ``story``)."""

    story_id: EntityId
    author_id: UserId
    media_type: MediaType
    media_id: EntityId
    expires_at: AwareDatetime


class StoryExpiredPayload(Payload):
    """A story reached its 24 h expiry (system event, entity ``story``)."""

    story_id: EntityId
    author_id: UserId


class ReelCreatedPayload(Payload):
    """A short vertical video was published (entity ``reel``)."""

    reel_id: EntityId
    author_id: UserId
    video_id: EntityId
    duration_s: Annotated[int, Field(ge=1, le=180)]
    caption: Annotated[str, Field(max_length=500)]
    topic: Topic | None


class CommentCreatedPayload(Payload):
    """A top-level comment on a post or reel (entity ``comment``)."""

    comment_id: EntityId
    author_id: UserId
    target_type: CommentTarget
    target_id: EntityId
    target_author_id: UserId
    text: LongText
    community_id: SmallId | None
    topic: Topic | None


class ReplyCreatedPayload(Payload):
    """A reply to a comment (entity ``comment``; ``parent_comment_id`` is the thread)."""

    comment_id: EntityId
    parent_comment_id: EntityId
    author_id: UserId
    target_type: CommentTarget
    target_id: EntityId
    parent_author_id: UserId
    text: LongText
    community_id: SmallId | None
    topic: Topic | None


class CommentDeletedPayload(Payload):
    """A comment or reply was deleted (entity ``comment``)."""

    comment_id: EntityId
    author_id: UserId
    removed_by: Literal["author", "moderator"]


class PostSharedPayload(Payload):
    """A repost: a user shared a post without adding text (entity ``share``).

    ``via_share_id`` is the share the user saw it through, so cascades form a tree;
    ``depth`` is 1 for a share of the original and grows along the cascade.
    """

    share_id: EntityId
    post_id: EntityId
    post_author_id: UserId
    user_id: UserId
    via_share_id: EntityId | None
    depth: Annotated[int, Field(ge=1, le=1000)]
    destination: Literal["feed", "group", "message"]


class PostQuotedPayload(PostSharedPayload):
    """A quote: a share with the sharer's own text (entity ``share``)."""

    quote_text: LongText


class ReactionPayload(Payload):
    """A reaction (``like`` is one type) on a post, reel, story or comment (entity ``reaction``).

    Key ``user_id:target_type:target_id``: a user has at most one reaction per target.
    """

    user_id: UserId
    target_type: ReactionTarget
    target_id: EntityId
    target_author_id: UserId
    reaction: ReactionType
    community_id: SmallId | None


class PostViewedPayload(Payload):
    """A post was shown to a user (entity ``post``); repeated views are separate events."""

    post_id: EntityId
    author_id: UserId
    viewer_id: UserId
    source: Literal["feed", "profile", "group", "share", "search", "notification"]
    via_share_id: EntityId | None
    dwell_ms: Annotated[int, Field(ge=0, le=3_600_000)]


class StoryViewedPayload(Payload):
    """A story was watched (entity ``story``)."""

    story_id: EntityId
    author_id: UserId
    viewer_id: UserId


class ReelViewedPayload(Payload):
    """A reel was watched (entity ``reel``)."""

    reel_id: EntityId
    author_id: UserId
    viewer_id: UserId
    watched_ms: Annotated[int, Field(ge=0, le=3_600_000)]
    completed: bool


class ReportFiledPayload(Payload):
    """A user complained about content, a user or a group (entity ``report``)."""

    report_id: EntityId
    reporter_id: UserId
    target_type: ReportTarget
    target_id: EntityId
    reason: ReportReason
    community_id: SmallId | None
    group_id: SmallId | None


class ReportResolvedPayload(Payload):
    """A moderator resolved a report (entity ``report``)."""

    report_id: EntityId
    moderator_id: UserId
    outcome: Literal["dismissed", "content_removed", "user_warned", "user_suspended"]
    community_id: SmallId | None
    group_id: SmallId | None


# --- media ------------------------------------------------------------------------------


class PhotoUploadedPayload(Payload):
    """A photo was uploaded, optionally into an album (entity ``photo``)."""

    photo_id: EntityId
    owner_id: UserId
    album_id: EntityId | None
    width: Annotated[int, Field(ge=16, le=12_000)]
    height: Annotated[int, Field(ge=16, le=12_000)]
    size_bytes: Annotated[int, Field(ge=1, le=50_000_000)]
    format: Literal["jpeg", "png", "webp", "heic"]


class VideoUploadedPayload(Payload):
    """A video was uploaded (entity ``video``)."""

    video_id: EntityId
    owner_id: UserId
    duration_s: Annotated[int, Field(ge=1, le=3600)]
    width: Annotated[int, Field(ge=16, le=7680)]
    height: Annotated[int, Field(ge=16, le=7680)]
    size_bytes: Annotated[int, Field(ge=1, le=4_000_000_000)]
    format: Literal["mp4", "mov", "webm"]


class AlbumCreatedPayload(Payload):
    """A photo album was created (entity ``album``)."""

    album_id: EntityId
    owner_id: UserId
    title: ShortText
    visibility: Visibility


class MediaAttachedPayload(Payload):
    """A photo or video was attached to a post, comment, story or reel (entity ``attachment``)."""

    attachment_id: EntityId
    media_type: MediaType
    media_id: EntityId
    target_type: AttachmentTarget
    target_id: EntityId
    position: Annotated[int, Field(ge=0, le=19)]


class ThumbnailGeneratedPayload(Payload):
    """The media pipeline produced a thumbnail for a photo or video (system, ``thumbnail``)."""

    thumbnail_id: EntityId
    media_type: MediaType
    media_id: EntityId
    width: Annotated[int, Field(ge=16, le=1024)]
    height: Annotated[int, Field(ge=16, le=1024)]


# --- communities ------------------------------------------------------------------------


class CommunityCreatedPayload(Payload):
    """A community (a themed space holding groups) was created (entity ``community``)."""

    community_id: SmallId
    owner_id: UserId
    name: ShortText
    description: Annotated[str, Field(max_length=1000)]
    visibility: Literal["public", "private"]


class CommunityTopicAddedPayload(Payload):
    """A topic was attached to a community (entity ``community``, key ``community:topic``)."""

    community_id: SmallId
    topic: Topic


class GroupCreatedPayload(Payload):
    """A group inside a community was created (entity ``group``)."""

    group_id: SmallId
    community_id: SmallId
    owner_id: UserId
    name: ShortText
    privacy: Literal["public", "closed", "secret"]


class GroupMembershipPayload(Payload):
    """A user joined or left a group (entity ``group_membership``, key ``group:user``)."""

    group_id: SmallId
    community_id: SmallId
    user_id: UserId
    reason: Literal["joined", "invited", "left", "removed", "banned"]


class GroupModeratorPayload(Payload):
    """A moderator was appointed to or removed from a group (entity ``group_moderator``)."""

    group_id: SmallId
    community_id: SmallId
    user_id: UserId
    by_user_id: UserId


class PinnedPostPayload(Payload):
    """A post was pinned to (or unpinned from) a group (entity ``pinned_post``)."""

    group_id: SmallId
    community_id: SmallId
    post_id: EntityId
    by_user_id: UserId


# --- monetisation -----------------------------------------------------------------------


class AdCampaignCreatedPayload(Payload):
    """An advertiser started a campaign (entity ``ad_campaign``)."""

    campaign_id: SmallId
    advertiser_id: SmallId
    advertiser_name: ShortText
    objective: Literal["awareness", "traffic", "engagement", "app_installs", "conversions"]
    daily_budget: Amount
    currency: Currency
    starts_on: date
    ends_on: date

    @model_validator(mode="after")
    def _ordered(self) -> AdCampaignCreatedPayload:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class AdCreatedPayload(Payload):
    """A creative in a campaign (entity ``ad``)."""

    ad_id: SmallId
    campaign_id: SmallId
    advertiser_id: SmallId
    format: Literal["image", "video", "carousel", "story", "reel"]
    headline: ShortText
    target_url: Annotated[str, Field(pattern=r"^https://", max_length=300)]
    topic: Topic


class AdImpressionPayload(Payload):
    """An ad was shown to a user (entity ``ad_impression``; its id is the event_id)."""

    ad_id: SmallId
    campaign_id: SmallId
    user_id: UserId
    placement: Literal["feed", "stories", "reels", "sidebar", "search"]
    cost: Cost
    currency: Currency


class AdClickedPayload(Payload):
    """A user clicked an ad (entity ``ad_click``); ``impression_event_id`` is what was clicked."""

    ad_id: SmallId
    campaign_id: SmallId
    user_id: UserId
    impression_event_id: UUID
    cost: Cost
    currency: Currency


class SponsorshipCreatedPayload(Payload):
    """An advertiser paid a creator to promote it in a post (entity ``sponsorship``)."""

    sponsorship_id: EntityId
    advertiser_id: SmallId
    creator_id: UserId
    post_id: EntityId | None
    amount: Amount
    currency: Currency


class DonationMadePayload(Payload):
    """A user tipped a creator or a community (entity ``donation``)."""

    donation_id: EntityId
    donor_id: UserId
    recipient_type: Literal["user", "community"]
    recipient_id: EntityId
    amount: Amount
    currency: Currency
    message: Annotated[str, Field(max_length=280)]


class SubscriptionChargedPayload(Payload):
    """A subscription period was paid: subscription revenue (entity ``subscription_payment``)."""

    payment_id: EntityId
    subscriber_id: UserId
    creator_id: UserId
    tier: Literal["basic", "plus", "premium"]
    amount: Amount
    currency: Currency
    period_start: date
    period_end: date


# --- the event registry -----------------------------------------------------------------

#: event_type -> (payload model, entity type). The order is the documentation order.
EVENT_TYPES: dict[str, tuple[type[Payload], str]] = {
    # users
    "user_registered": (UserRegisteredPayload, "user"),
    "user_profile_updated": (UserProfileUpdatedPayload, "user"),
    "user_settings_changed": (UserSettingsChangedPayload, "user"),
    "user_privacy_changed": (UserPrivacyChangedPayload, "user"),
    "user_came_online": (UserCameOnlinePayload, "session"),
    "user_went_offline": (UserWentOfflinePayload, "session"),
    "badge_awarded": (BadgeAwardedPayload, "badge"),
    "user_deactivated": (UserDeactivatedPayload, "user"),
    # social ties
    "friendship_started": (FriendshipPayload, "friendship"),
    "friendship_ended": (FriendshipPayload, "friendship"),
    "follow_started": (FollowPayload, "follow"),
    "follow_ended": (FollowPayload, "follow"),
    "subscription_started": (SubscriptionPayload, "subscription"),
    "subscription_ended": (SubscriptionPayload, "subscription"),
    "block_started": (UserPairPayload, "block"),
    "block_ended": (UserPairPayload, "block"),
    "mute_started": (UserPairPayload, "mute"),
    "mute_ended": (UserPairPayload, "mute"),
    "close_friend_added": (UserPairPayload, "close_friend"),
    "close_friend_removed": (UserPairPayload, "close_friend"),
    # content
    "post_created": (PostCreatedPayload, "post"),
    "post_deleted": (PostDeletedPayload, "post"),
    "story_created": (StoryCreatedPayload, "story"),
    "story_expired": (StoryExpiredPayload, "story"),
    "reel_created": (ReelCreatedPayload, "reel"),
    "comment_created": (CommentCreatedPayload, "comment"),
    "reply_created": (ReplyCreatedPayload, "comment"),
    "comment_deleted": (CommentDeletedPayload, "comment"),
    "post_shared": (PostSharedPayload, "share"),
    "post_quoted": (PostQuotedPayload, "share"),
    "reaction_added": (ReactionPayload, "reaction"),
    "reaction_removed": (ReactionPayload, "reaction"),
    "post_viewed": (PostViewedPayload, "post"),
    "story_viewed": (StoryViewedPayload, "story"),
    "reel_viewed": (ReelViewedPayload, "reel"),
    "report_filed": (ReportFiledPayload, "report"),
    "report_resolved": (ReportResolvedPayload, "report"),
    # media
    "photo_uploaded": (PhotoUploadedPayload, "photo"),
    "video_uploaded": (VideoUploadedPayload, "video"),
    "album_created": (AlbumCreatedPayload, "album"),
    "media_attached": (MediaAttachedPayload, "attachment"),
    "thumbnail_generated": (ThumbnailGeneratedPayload, "thumbnail"),
    # communities
    "community_created": (CommunityCreatedPayload, "community"),
    "community_topic_added": (CommunityTopicAddedPayload, "community"),
    "group_created": (GroupCreatedPayload, "group"),
    "group_joined": (GroupMembershipPayload, "group_membership"),
    "group_left": (GroupMembershipPayload, "group_membership"),
    "group_moderator_added": (GroupModeratorPayload, "group_moderator"),
    "group_moderator_removed": (GroupModeratorPayload, "group_moderator"),
    "post_pinned": (PinnedPostPayload, "pinned_post"),
    "post_unpinned": (PinnedPostPayload, "pinned_post"),
    # monetisation
    "ad_campaign_created": (AdCampaignCreatedPayload, "ad_campaign"),
    "ad_created": (AdCreatedPayload, "ad"),
    "ad_impression_served": (AdImpressionPayload, "ad_impression"),
    "ad_clicked": (AdClickedPayload, "ad_click"),
    "sponsorship_created": (SponsorshipCreatedPayload, "sponsorship"),
    "donation_made": (DonationMadePayload, "donation"),
    "subscription_charged": (SubscriptionChargedPayload, "subscription_payment"),
}

#: Relationships with an explicit end: relation -> (start event_type, end event_type).
RELATIONSHIP_EVENTS: dict[str, tuple[str, str]] = {
    "friendship": ("friendship_started", "friendship_ended"),
    "follow": ("follow_started", "follow_ended"),
    "subscription": ("subscription_started", "subscription_ended"),
    "block": ("block_started", "block_ended"),
    "mute": ("mute_started", "mute_ended"),
    "close_friend": ("close_friend_added", "close_friend_removed"),
    "group_membership": ("group_joined", "group_left"),
    "group_moderator": ("group_moderator_added", "group_moderator_removed"),
    "pinned_post": ("post_pinned", "post_unpinned"),
}

#: Events emitted by the platform itself: their ``actor_id`` is null.
SYSTEM_EVENTS: frozenset[str] = frozenset(
    {"story_expired", "thumbnail_generated", "badge_awarded", "subscription_charged"}
)


# --- the envelope -----------------------------------------------------------------------


class EventEnvelope(BaseModel):
    """Fields common to every event line. Concrete events narrow ``event_type``/``payload``."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    event_id: UUID
    event_type: str
    occurred_at: AwareDatetime
    schema_version: Literal[1]
    #: The user who caused the event; null for system events (expiry, thumbnails, billing).
    actor_id: UserId | None
    #: The entity the event is about, and its business key (composite keys joined by ``:``).
    entity_type: EntityType
    entity_id: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[0-9a-z_:-]+$")]
    payload: Payload

    #: Payload fields holding user ids, per concrete class (filled in at class creation).
    user_fields: ClassVar[tuple[str, ...]] = ()

    @field_validator("occurred_at")
    @classmethod
    def _utc_and_not_future(cls, value: datetime, info: ValidationInfo) -> datetime:
        # The one Python-level check on every line, so it is kept minimal (it runs for every
        # event): AwareDatetime guarantees an offset, and timedelta(0) is falsy.
        if value.utcoffset():
            raise ValueError("occurred_at must be in UTC (suffix Z or +00:00)")
        context = info.context
        if isinstance(context, dict):
            now = context.get("now")
            if now is not None and value > now:
                raise ValueError(f"occurred_at {value.isoformat()} is in the future (now {now})")
        return value

    def user_ids(self) -> list[int]:
        """Every user id the event references (actor and payload) for referential checks."""
        ids = [] if self.actor_id is None else [self.actor_id]
        ids.extend(getattr(self.payload, name) for name in self.user_fields)
        return ids


def _user_fields(model: type[Payload]) -> tuple[str, ...]:
    return tuple(
        name
        for name, field in model.model_fields.items()
        if any(isinstance(meta, _UserRef) for meta in field.metadata)
    )


def _class_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.split("_")) + "Event"


def _old_enough(event: Any) -> Any:
    """``user_registered``: the user is at least MIN_AGE_YEARS old on the registration day."""
    day = event.occurred_at.date()
    try:
        limit = day.replace(year=day.year - MIN_AGE_YEARS)
    except ValueError:  # 29 February -> 28 February
        limit = day.replace(year=day.year - MIN_AGE_YEARS, day=28)
    if event.payload.birthday > limit:
        raise ValueError(
            f"birthday {event.payload.birthday} makes the user younger than {MIN_AGE_YEARS} "
            f"on {day}"
        )
    return event


#: Envelope-level rules of single event types (they need the envelope and the payload).
_EVENT_RULES: dict[str, Any] = {"user_registered": model_validator(mode="after")(_old_enough)}


def _build_event_models() -> dict[str, type[EventEnvelope]]:
    models: dict[str, type[EventEnvelope]] = {}
    for event_type, (payload_model, entity_type) in EVENT_TYPES.items():
        rule = _EVENT_RULES.get(event_type)
        # Literal[...] of a runtime value: typed as Any so static checkers accept it.
        type_literal: Any = Literal[event_type]
        entity_literal: Any = Literal[entity_type]
        model = create_model(
            _class_name(event_type),
            __base__=EventEnvelope,
            __doc__=payload_model.__doc__,
            event_type=(type_literal, ...),
            entity_type=(entity_literal, ...),
            payload=(payload_model, ...),
            __validators__={"_rule": rule} if rule is not None else None,
        )
        model.user_fields = _user_fields(payload_model)
        models[event_type] = model
    return models


#: event_type -> the concrete envelope model (e.g. ``EVENT_MODELS["post_created"]``).
EVENT_MODELS: dict[str, type[EventEnvelope]] = _build_event_models()

#: The discriminated union of every event (a runtime type; static checkers see ``Any``).
Event: Any = Annotated[
    Union[tuple(EVENT_MODELS.values())],  # noqa: UP007
    Field(discriminator="event_type"),
]

#: Validates one event (``validate_json``/``validate_python``) into its concrete model.
EVENT_ADAPTER: TypeAdapter[EventEnvelope] = cast(TypeAdapter[EventEnvelope], TypeAdapter(Event))
#: Validates a JSON array of events in one call (the bulk fast path).
EVENT_LIST_ADAPTER: TypeAdapter[list[EventEnvelope]] = cast(
    TypeAdapter[list[EventEnvelope]], TypeAdapter(list[Event])
)


def _context(now: datetime | None) -> dict[str, Any]:
    return {"now": now if now is not None else datetime.now(UTC)}


def validate_line(line: bytes | str, now: datetime | None = None) -> EventEnvelope:
    """Validate one JSON line into its concrete event model.

    ``now`` bounds ``occurred_at`` (default: the current time). Raises
    ``pydantic.ValidationError`` for any contract violation, including malformed JSON.
    """
    return EVENT_ADAPTER.validate_json(line, context=_context(now))


def validate_lines(lines: Iterable[bytes], now: datetime | None = None) -> list[EventEnvelope]:
    """Validate many lines in one call (fast path); raises on the first invalid batch."""
    blob = b"[" + b",".join(lines) + b"]"
    return EVENT_LIST_ADAPTER.validate_json(blob, context=_context(now))
