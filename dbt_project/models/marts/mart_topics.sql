{#- One row per topic: posts, reels and comments on it, the communities that list it,
    and its rank by comments (1 = the most discussed topic). -#}
{{ config(order_by='topic') }}

with

topics as (
    select topic_hk, topic from {{ ref('hub_topic') }}
),

post_topics as (
    select topic_hk from {{ ref('landing_link_post_topic') }}
),

reel_topics as (
    select topic_hk from {{ ref('landing_link_reel_topic') }}
),

comment_topics as (
    select topic_hk from {{ ref('landing_link_comment_topic') }}
),

community_topics as (
    select topic_hk, community_hk from {{ ref('link_community_topic') }}
),

mentions as (
    select topic_hk, countIf(kind = 'post') as posts, countIf(kind = 'reel') as reels,
        countIf(kind = 'comment') as comments
    from (
        select topic_hk, 'post' as kind from post_topics
        union all
        select topic_hk, 'reel' as kind from reel_topics
        union all
        select topic_hk, 'comment' as kind from comment_topics
    ) as topic_mentions
    group by topic_hk
),

community_counts as (
    select topic_hk, uniqExact(community_hk) as communities
    from community_topics
    group by topic_hk
),

counted as (
    select
        assumeNotNull(topics.topic) as topic,
        toUInt64(mentions.posts) as posts,
        toUInt64(mentions.reels) as reels,
        toUInt64(mentions.comments) as comments,
        toUInt64(community_counts.communities) as communities
    from topics
    left join mentions on topics.topic_hk = mentions.topic_hk
    left join community_counts on topics.topic_hk = community_counts.topic_hk
),

final as (
    select
        *,
        toUInt64(rank() over (order by comments desc)) as discussion_rank
    from counted
)

select * from final
