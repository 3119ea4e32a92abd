{#- One row per user: who they are, their social reach now (friends, followers,
    following), their influence (PageRank of the latest graph run, null until the first
    run), what they created and how much of it was reshared, and their memberships. -#}
{{ config(order_by='user_id') }}

with

users as (
    select user_hk, user_id from {{ ref('hub_user') }}
),

user_details as (
    select user_hk, username, country, effective_from from {{ ref('landing_sat_user_details') }}
),

user_lifecycle as (
    select user_hk, lifecycle_status, effective_from from {{ ref('sat_user_lifecycle') }}
),

social_ties as (
    select user_hk, tie from {{ ref('bridge_user_social') }}
    where is_current
),

memberships as (
    select driving_hk as group_hk, secondary_hk as user_hk
    from {{ ref('relationship_periods') }}
    where relation = 'group_membership' and is_current
),

group_communities as (
    {{ first_link('link_group_community', 'group_hk', ['community_hk']) }}
),

post_authors as (
    select author_hk from ({{ first_link('landing_link_post_author', 'post_hk', ['author_hk']) }}) as posts
),

story_authors as (
    select author_hk from ({{ first_link('link_story_author', 'story_hk', ['author_hk']) }}) as stories
),

reel_authors as (
    select author_hk from ({{ first_link('link_reel_author', 'reel_hk', ['author_hk']) }}) as reels
),

comment_authors as (
    select author_hk from ({{ first_link('landing_link_comment_target', 'comment_hk', ['author_hk']) }}) as comments
),

-- reshares per post are counted once, in the virality mart
post_reshares as (
    select author_id, shares, quotes from {{ ref('mart_post_virality') }}
),

latest_graph_run as (
    select run_id, run_ts from {{ source('graph', 'latest_run') }}
),

centrality as (
    select user_id, pagerank, pagerank_rank, run_ts, 1 as has_centrality
    from {{ source('graph', 'user_centrality') }}
    where run_id in (select run_id from latest_graph_run)
),

profile as (
    select
        user_hk,
        argMax(username, effective_from) as username,
        argMax(country, effective_from) as country,
        min(effective_from) as registered_at
    from user_details
    group by user_hk
),

lifecycle as (
    select user_hk, argMax(lifecycle_status, effective_from) as lifecycle_status
    from user_lifecycle
    group by user_hk
),

ties as (
    select
        user_hk,
        countIf(tie = 'friend') as friends,
        countIf(tie = 'followed_by') as followers,
        countIf(tie = 'follows') as following
    from social_ties
    group by user_hk
),

content as (
    select
        author_hk as user_hk,
        countIf(kind = 'post') as posts,
        countIf(kind = 'story') as stories,
        countIf(kind = 'reel') as reels,
        countIf(kind = 'comment') as comments
    from (
        select author_hk, 'post' as kind from post_authors
        union all
        select author_hk, 'story' as kind from story_authors
        union all
        select author_hk, 'reel' as kind from reel_authors
        union all
        select author_hk, 'comment' as kind from comment_authors
    ) as authored
    group by author_hk
),

reshares as (
    select
        author_id,
        sum(shares) as reposts_received,
        sum(quotes) as quotes_received
    from post_reshares
    group by author_id
),

membership_counts as (
    select
        memberships.user_hk as user_hk,
        count() as group_memberships,
        uniqExact(group_communities.community_hk) as communities
    from memberships
    left join group_communities on memberships.group_hk = group_communities.group_hk
    group by memberships.user_hk
),

final as (
    select
        toUInt64(assumeNotNull(users.user_id)) as user_id,
        assumeNotNull(profile.username) as username,
        assumeNotNull(profile.country) as country,
        -- null for a user seen only in others' events (registered before the data began)
        toNullable(toDateTime64(profile.registered_at, 3, 'UTC')) as registered_at,
        assumeNotNull(lifecycle.lifecycle_status) as lifecycle_status,
        toUInt64(ties.friends) as friends,
        toUInt64(ties.followers) as followers,
        toUInt64(ties.following) as following,
        -- null until the graph job has run once (or for users it has not seen yet)
        if(centrality.has_centrality = 1, toNullable(centrality.pagerank), null) as pagerank,
        if(centrality.has_centrality = 1, toNullable(toUInt32(centrality.pagerank_rank)), null)
            as pagerank_rank,
        if(
            centrality.has_centrality = 1,
            toNullable(toDateTime64(centrality.run_ts, 6, 'UTC')),
            null
        ) as pagerank_run_ts,
        toUInt64(content.posts) as posts,
        toUInt64(content.stories) as stories,
        toUInt64(content.reels) as reels,
        toUInt64(content.comments) as comments,
        toUInt64(reshares.reposts_received) as reposts_received,
        toUInt64(reshares.quotes_received) as quotes_received,
        toUInt64(membership_counts.group_memberships) as group_memberships,
        toUInt64(membership_counts.communities) as communities
    from users
    left join profile on users.user_hk = profile.user_hk
    left join lifecycle on users.user_hk = lifecycle.user_hk
    left join ties on users.user_hk = ties.user_hk
    left join content on users.user_hk = content.user_hk
    left join reshares on toUInt64(assumeNotNull(users.user_id)) = reshares.author_id
    left join membership_counts on users.user_hk = membership_counts.user_hk
    left join centrality on users.user_id = centrality.user_id
)

select * from final
