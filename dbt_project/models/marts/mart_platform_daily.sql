{#- One row per UTC day: platform activity (posts, comments, reactions, views, average
    interactions per post) and audience (DAU, rolling 7-day WAU, DAU/WAU, new users, and
    the session-based online_users). DAU and WAU count users with at least one action
    (int_user_active_days; docs/marts.md, "DAU and WAU"). "Now" is the run's snapshot bound.
    Incremental: only the days touched by newly loaded vault rows (and the 6 days after
    each, whose WAU window they fall in) are rebuilt, from the landing tables. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    order_by='activity_date',
    partition_by='toYYYYMM(activity_date)',
) }}

{%- set inputs = [
    'sat_post_details', 'sat_story_details', 'sat_reel_details', 'sat_comment_details',
    'eff_sat_reaction', 'link_post_view', 'link_story_view', 'link_reel_view',
    'sat_user_status', 'sat_user_details', 'link_user_action',
] -%}
{#- a touched day changes the WAU of the 6 days after it -#}
{%- set touched_from = mart_recompute_from(inputs) -%}
{%- set recompute_from = none if touched_from is none else touched_from -%}
{#- WAU of a recomputed day needs the 6 days before it; a session may start a day before -#}
{%- set read_from = none if recompute_from is none else (modules.datetime.date.fromisoformat(recompute_from) - modules.datetime.timedelta(days=6)).isoformat() -%}

with

posts as (
    select effective_from from {{ ref('landing_sat_post_details') }}
    {{ mart_window_filter(recompute_from) }}
),

stories as (
    select effective_from from {{ ref('landing_sat_story_details') }}
    {{ mart_window_filter(recompute_from) }}
),

reels as (
    select effective_from from {{ ref('landing_sat_reel_details') }}
    {{ mart_window_filter(recompute_from) }}
),

comments as (
    select effective_from from {{ ref('landing_sat_comment_details') }}
    {{ mart_window_filter(recompute_from) }}
),

reaction_states as (
    select is_active, effective_from from {{ ref('landing_eff_sat_reaction') }}
    {{ mart_window_filter(recompute_from) }}
),

post_views as (
    select effective_from from {{ ref('landing_link_post_view') }}
    {{ mart_window_filter(recompute_from) }}
),

story_views as (
    select effective_from from {{ ref('landing_link_story_view') }}
    {{ mart_window_filter(recompute_from) }}
),

reel_views as (
    select effective_from from {{ ref('landing_link_reel_view') }}
    {{ mart_window_filter(recompute_from) }}
),

user_status as (
    select user_hk, online_status, session_id, effective_from
    from {{ ref('landing_sat_user_status') }}
    {{ mart_window_filter(read_from) }}
),

user_details as (
    select user_hk, effective_from from {{ ref('landing_sat_user_details') }}
),

active_user_days as (
    select activity_date, user_hk from {{ ref('int_user_active_days') }}
    {%- if read_from is not none %}
    where activity_date >= toDate('{{ read_from }}')
    {%- endif %}
),

-- one row per event that counts as activity, with its day
activity as (
    select 'post' as kind, toDate(assumeNotNull(effective_from)) as activity_date from posts
    union all
    select 'story' as kind, toDate(assumeNotNull(effective_from)) as activity_date from stories
    union all
    select 'reel' as kind, toDate(assumeNotNull(effective_from)) as activity_date from reels
    union all
    select 'comment' as kind, toDate(assumeNotNull(effective_from)) as activity_date from comments
    union all
    -- every "reaction added" (a re-add after a removal counts again)
    select 'reaction' as kind, toDate(assumeNotNull(effective_from)) as activity_date
    from reaction_states
    where is_active
    union all
    select 'view' as kind, toDate(assumeNotNull(effective_from)) as activity_date from post_views
    union all
    select 'view' as kind, toDate(assumeNotNull(effective_from)) as activity_date from story_views
    union all
    select 'view' as kind, toDate(assumeNotNull(effective_from)) as activity_date from reel_views
),

activity_daily as (
    select
        activity_date,
        countIf(kind = 'post') as posts,
        countIf(kind = 'story') as stories,
        countIf(kind = 'reel') as reels,
        countIf(kind = 'comment') as comments,
        countIf(kind = 'reaction') as reactions,
        countIf(kind = 'view') as views
    from activity
    group by activity_date
),

dau as (
    select activity_date, uniqExact(user_hk) as dau
    from active_user_days
    group by activity_date
),

-- each active day counts for the 7-day windows ending on it and on the 6 days after,
-- up to the day of the snapshot bound
wau as (
    select window_end as activity_date, uniqExact(user_hk) as wau
    from (
        select user_hk, activity_date + arrayJoin(range(7)) as window_end
        from active_user_days
    ) as windows
    where window_end <= {{ snapshot_date() }}
    group by activity_date
),

-- session-based presence (extra): a session is [came online, went offline); one without
-- its end lasts until the snapshot bound, at most a day (contract: session_seconds <= 86400)
sessions as (
    select
        user_hk,
        minIf(effective_from, online_status = 'online') as started_at,
        coalesce(
            minIf(effective_from, online_status = 'offline'),
            least(started_at + interval 1 day, {{ snapshot_ts() }})
        ) as ended_at
    from user_status
    group by user_hk, session_id
    having countIf(online_status = 'online') > 0
),

online_user_days as (
    select distinct
        user_hk,
        toDate(arrayJoin(range(
            toUInt32(toDate(assumeNotNull(started_at))),
            toUInt32(toDate(assumeNotNull(greatest(started_at, ended_at)))) + 1
        ))) as activity_date
    from sessions
),

online as (
    select activity_date, uniqExact(user_hk) as online_users
    from online_user_days
    where activity_date <= {{ snapshot_date() }}
    group by activity_date
),

new_users as (
    select activity_date, count() as new_users
    from (
        select
            user_hk,
            toDate(assumeNotNull(min(effective_from))) as activity_date
        from user_details
        group by user_hk
    ) as registrations
    {%- if recompute_from is not none %}
    where activity_date >= toDate('{{ recompute_from }}')
    {%- endif %}
    group by activity_date
),

days as (
    select activity_date from activity_daily
    union distinct
    select activity_date from dau
    union distinct
    select activity_date from online
    union distinct
    select activity_date from new_users
),

final as (
    select
        days.activity_date as activity_date,
        toUInt64(activity_daily.posts) as posts,
        toUInt64(activity_daily.stories) as stories,
        toUInt64(activity_daily.reels) as reels,
        toUInt64(activity_daily.comments) as comments,
        toUInt64(activity_daily.reactions) as reactions,
        toUInt64(activity_daily.views) as views,
        toUInt64(activity_daily.reactions + activity_daily.comments) as interactions,
        -- undefined (null) on a day without posts
        if(
            activity_daily.posts = 0,
            null,
            (activity_daily.reactions + activity_daily.comments) / activity_daily.posts
        ) as avg_interactions_per_post,
        toUInt64(dau.dau) as dau,
        toUInt64(wau.wau) as wau,
        if(wau.wau = 0, 0, dau.dau / wau.wau) as dau_wau_ratio,
        toUInt64(online.online_users) as online_users,
        toUInt64(new_users.new_users) as new_users,
        {{ snapshot_ts() }} as vault_load_ts
    from days
    left join activity_daily on days.activity_date = activity_daily.activity_date
    left join dau on days.activity_date = dau.activity_date
    left join wau on days.activity_date = wau.activity_date
    left join online on days.activity_date = online.activity_date
    left join new_users on days.activity_date = new_users.activity_date
    where
        days.activity_date <= {{ snapshot_date() }}
        {%- if recompute_from is not none %}
        and days.activity_date >= toDate('{{ recompute_from }}')
        {%- endif %}
)

select * from final
