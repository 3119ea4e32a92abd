{#- Every action a user performed: one row per event whose actor is a user, of the event
    types below (docs/marts.md, "DAU and WAU"). Not actions: the platform's own events
    (no actor: story_expired, thumbnail_generated, badge_awarded, subscription_charged),
    an ad impression (served to the user, not done by them) and going offline (the end of
    a session, not something done on the platform). DAU and WAU count users with at least
    one row here. One branch per typed view, so each reads raw.events through its
    (event_type, loaded_at) index. -#}
{%- set action_types = [
    'ad_campaign_created', 'ad_clicked', 'ad_created', 'album_created', 'block_ended',
    'block_started', 'close_friend_added', 'close_friend_removed', 'comment_created',
    'comment_deleted', 'community_created', 'community_topic_added', 'donation_made',
    'follow_ended', 'follow_started', 'friendship_ended', 'friendship_started', 'group_created',
    'group_joined', 'group_left', 'group_moderator_added', 'group_moderator_removed',
    'media_attached', 'mute_ended', 'mute_started', 'photo_uploaded', 'post_created',
    'post_deleted', 'post_pinned', 'post_quoted', 'post_shared', 'post_unpinned', 'post_viewed',
    'reaction_added', 'reaction_removed', 'reel_created', 'reel_viewed', 'reply_created',
    'report_filed', 'report_resolved', 'sponsorship_created', 'story_created', 'story_viewed',
    'subscription_ended', 'subscription_started', 'user_came_online', 'user_deactivated',
    'user_privacy_changed', 'user_profile_updated', 'user_registered', 'user_settings_changed',
    'video_uploaded',
] -%}

with

source as (
    {%- for event_type in action_types %}
    select
        event_id,
        '{{ event_type }}' as event_type,
        actor_id,
        occurred_at,
        loaded_at
    from {{ source('raw', 'evt_' ~ event_type) }}
    where
        actor_id is not null
        and {{ loaded_until('loaded_at') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

renamed as (
    select
        event_id,
        event_type,
        actor_id as user_id,
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_' || event_type as record_source
    from source
),

final as (
    select
        renamed.*,
        {{ hash('event_id') }} as action_hk,
        {{ hash('user_id') }} as user_hk
    from renamed
)

select * from final
