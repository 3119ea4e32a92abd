{#- The friendship depth distribution of the latest graph run: how many ordered pairs
    of users are 1, 2, 3, ... friend hops apart (friend, friend of friend, ...) and their
    share. Empty until the first graph run. -#}
{{ config(order_by='depth') }}

with

latest_graph_run as (
    select run_id from {{ source('graph', 'latest_run') }}
),

depth as (
    select run_id, run_ts, depth, pairs, share, sampled_sources, exact
    from {{ source('graph', 'friendship_depth') }}
),

final as (
    select
        toUInt32(assumeNotNull(depth)) as depth,
        toUInt64(assumeNotNull(pairs)) as pairs,
        toFloat64(assumeNotNull(share)) as share,
        assumeNotNull(exact) as exact,
        toUInt32(assumeNotNull(sampled_sources)) as sampled_sources,
        toDateTime64(assumeNotNull(run_ts), 6, 'UTC') as run_ts
    from depth
    where run_id in (select run_id from latest_graph_run)
)

select * from final
