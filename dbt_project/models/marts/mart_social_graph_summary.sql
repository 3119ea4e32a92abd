{#- One row: the social graph now. Users, current friendships and follows, average
    friends and followers per registered user, and which graph run the centrality and
    friendship-depth marts come from (null until the first run). -#}
{{ config(order_by='tuple()') }}

with

users as (
    select user_hk from {{ ref('hub_user') }}
),

current_ties as (
    select relation from {{ ref('relationship_periods') }}
    where is_current and relation in ('friendship', 'follow')
),

latest_graph_run as (
    select run_id, run_ts from {{ source('graph', 'latest_run') }}
),

depth as (
    select depth, pairs from {{ source('graph', 'friendship_depth') }}
    where run_id in (select run_id from latest_graph_run)
),

counts as (
    select
        assumeNotNull((select count() from users)) as users,
        countIf(relation = 'friendship') as friendships,
        countIf(relation = 'follow') as follows
    from current_ties
),

final as (
    select
        {{ snapshot_ts() }} as as_of,
        toUInt64(counts.users) as users,
        toUInt64(counts.friendships) as friendships,
        toUInt64(counts.follows) as follows,
        -- each friendship gives two users a friend; each follow gives one user a follower
        if(counts.users = 0, 0, 2 * counts.friendships / counts.users) as avg_friends,
        if(counts.users = 0, 0, counts.follows / counts.users) as avg_followers,
        (select toNullable(toDateTime64(max(run_ts), 6, 'UTC')) from latest_graph_run)
            as pagerank_run_ts,
        (select toNullable(toUInt32(max(depth))) from depth
where pairs > 0)
            as max_friendship_depth
    from counts
)

select * from final
