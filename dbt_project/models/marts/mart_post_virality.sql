{#- One row per post: reach (views, unique viewers), speed of spread (seconds from
    publication to the 1000th view, null if never reached), reshares (shares, quotes),
    comments and the current reactions by type.
    Incremental (delete+insert by post): a run rebuilds the posts that newly loaded vault
    rows touch (a new post, view, share or quote, comment, reaction or reaction change), each
    from all of its rows. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='post_id',
    order_by='post_id',
    partition_by='toYYYYMM(created_date)',
) }}

{%- set reaction_types = ['like', 'love', 'care', 'haha', 'wow', 'sad', 'angry'] -%}
{%- set viral_views = 1000 -%}
{%- set watermark = mart_watermark() -%}
{%- set touched = '' if watermark is none else 'where post_hk in (select post_hk from touched_posts)' -%}

with
{%- if watermark is not none %}

-- the posts with rows loaded since the last run (the landing tables, built first, already
-- hold this run's rows); the `touched` filter below reads it, which the linter cannot see
touched_posts as (  -- noqa: ST03
    select post_hk from {{ ref('landing_sat_post_details') }}
    where load_ts > {{ load_ts_literal(watermark) }}
    union distinct
    select post_hk from {{ ref('landing_link_post_view') }}
    where load_ts > {{ load_ts_literal(watermark) }}
    union distinct
    select post_hk from {{ ref('landing_link_share_post') }}
    where load_ts > {{ load_ts_literal(watermark) }}
    union distinct
    select target_hk as post_hk from {{ ref('landing_link_comment_target') }}
    where load_ts > {{ load_ts_literal(watermark) }} and target_type = 'post'
    union distinct
    -- a reaction's target may be a comment whose hash key equals a post's: one post more
    select target_hk as post_hk from {{ ref('landing_eff_sat_reaction') }}
    where load_ts > {{ load_ts_literal(watermark) }}
),
{%- endif %}

posts as (
    select post_hk, post_id from {{ ref('landing_hub_post') }}
    {{ touched }}
),

post_details as (
    select post_hk, effective_from from {{ ref('landing_sat_post_details') }}
    {{ touched }}
),

post_authors as (
    {{ first_link('landing_link_post_author', 'post_hk', ['author_hk']) }}
),

post_communities as (
    {{ first_link('landing_link_post_community', 'post_hk', ['community_hk']) }}
),

post_topics as (
    {{ first_link('landing_link_post_topic', 'post_hk', ['topic_hk']) }}
),

users as (
    select user_hk, user_id from {{ ref('hub_user') }}
),

communities as (
    select community_hk, community_id from {{ ref('hub_community') }}
),

topics as (
    select topic_hk, topic from {{ ref('hub_topic') }}
),

views as (
    select post_hk, viewer_hk, effective_from from {{ ref('landing_link_post_view') }}
    {{ touched }}
),

shares as (
    select * from ({{ first_link('landing_link_share_post', 'share_hk', ['post_hk']) }}) as share_posts
    {{ touched }}
),

share_details as (
    select share_hk, share_kind, effective_from from {{ ref('landing_sat_share_details') }}
),

comments as (
    select target_hk as post_hk
    from ({{ first_link('landing_link_comment_target', 'comment_hk', ['target_type', 'target_hk']) }}) as targets
    where
        target_type = 'post'
        {%- if watermark is not none %}
        and target_hk in (select post_hk from touched_posts)
        {%- endif %}
),

reactions as (
    select reaction_hk, target_hk as post_hk from {{ ref('landing_link_reaction') }}
    where
        target_type = 'post'
        {%- if watermark is not none %}
        and target_hk in (select post_hk from touched_posts)
        {%- endif %}
),

reaction_states as (
    select reaction_hk, is_active, reaction_type, effective_from
    from {{ ref('landing_eff_sat_reaction') }}
),

published as (
    select post_hk, min(effective_from) as created_at
    from post_details
    group by post_hk
),

view_counts as (
    select post_hk, count() as views, uniqExact(viewer_hk) as unique_viewers
    from views
    group by post_hk
),

-- the time of the 1000th view, only for the few posts that got that far
viral as (
    select
        post_hk,
        arraySort(groupArray(effective_from))[{{ viral_views }}] as reached_at,
        1 as has_reached
    from views
    where post_hk in (select post_hk from view_counts
where views >= {{ viral_views }})
    group by post_hk
),

share_kinds as (
    select share_hk, argMin(share_kind, effective_from) as share_kind
    from share_details
    group by share_hk
),

share_counts as (
    select
        shares.post_hk as post_hk,
        countIf(share_kinds.share_kind = 'share') as shares,
        countIf(share_kinds.share_kind = 'quote') as quotes
    from shares
    inner join share_kinds on shares.share_hk = share_kinds.share_hk
    group by shares.post_hk
),

comment_counts as (
    select post_hk, count() as comments
    from comments
    group by post_hk
),

-- a reaction counts with its latest state: removed ones drop out, changed ones move type
current_reactions as (
    select reaction_hk, argMax(reaction_type, effective_from) as reaction_type
    from reaction_states
    group by reaction_hk
    having argMax(is_active, effective_from)
),

reaction_counts as (
    select
        reactions.post_hk as post_hk,
        count() as reactions,
        {%- for reaction_type in reaction_types %}
        countIf(current_reactions.reaction_type = '{{ reaction_type }}') as reactions_{{ reaction_type }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from reactions
    inner join current_reactions on reactions.reaction_hk = current_reactions.reaction_hk
    group by reactions.post_hk
),

final as (
    select
        toUInt64(assumeNotNull(posts.post_id)) as post_id,
        toUInt64(assumeNotNull(users.user_id)) as author_id,
        toDateTime64(assumeNotNull(published.created_at), 3, 'UTC') as created_at,
        toDate(created_at) as created_date,
        -- null: the post is not in a community / has no topic
        toNullable(toUInt64(communities.community_id)) as community_id,
        topics.topic as topic,
        toUInt64(view_counts.views) as views,
        toUInt64(view_counts.unique_viewers) as unique_viewers,
        -- null (no 1000th view) for posts that never got that far
        if(
            viral.has_reached = 1,
            toNullable(toInt64(dateDiff('second', published.created_at, viral.reached_at))),
            null
        ) as time_to_1000_views_s,
        toUInt64(share_counts.shares) as shares,
        toUInt64(share_counts.quotes) as quotes,
        toUInt64(comment_counts.comments) as comments,
        toUInt64(reaction_counts.reactions) as reactions,
        {%- for reaction_type in reaction_types %}
        toUInt64(reaction_counts.reactions_{{ reaction_type }}) as reactions_{{ reaction_type }},
        {%- endfor %}
        {{ snapshot_ts() }} as vault_load_ts
    from posts
    inner join published on posts.post_hk = published.post_hk
    left join post_authors on posts.post_hk = post_authors.post_hk
    left join users on post_authors.author_hk = users.user_hk
    left join post_communities on posts.post_hk = post_communities.post_hk
    left join communities on post_communities.community_hk = communities.community_hk
    left join post_topics on posts.post_hk = post_topics.post_hk
    left join topics on post_topics.topic_hk = topics.topic_hk
    left join view_counts on posts.post_hk = view_counts.post_hk
    left join viral on posts.post_hk = viral.post_hk
    left join share_counts on posts.post_hk = share_counts.post_hk
    left join comment_counts on posts.post_hk = comment_counts.post_hk
    left join reaction_counts on posts.post_hk = reaction_counts.post_hk
)

select * from final
