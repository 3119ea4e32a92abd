{#- One row per community and UTC day since its creation: member growth (joined, left,
    net, rank among communities that day), size (members), engagement (active members,
    engagement ratio), content (posts, comments, reactions) and moderation load
    (moderators, complaints). Members are users in any of the community's groups.
    Incremental: only the days touched by newly loaded vault rows are rebuilt, and always the
    days from the last run's bound on (open memberships count up to the bound's day). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    order_by='(community_id, activity_date)',
    partition_by='toYYYYMM(activity_date)',
) }}

{#- every input whose new rows change a day from their event time on (a link arrives with
    its hub's details: a post's community with the post, a group's with the group) -#}
{%- set recompute_from = mart_recompute_from([
    'sat_community_details', 'sat_group_details', 'eff_sat_group_membership',
    'eff_sat_group_moderator', 'sat_post_details', 'sat_comment_details', 'eff_sat_reaction',
    'sat_report_details',
], reopen_last_day=true) -%}

with

communities as (
    select community_hk, community_id from {{ ref('hub_community') }}
),

community_details as (
    select community_hk, community_name, effective_from from {{ ref('sat_community_details') }}
),

group_communities as (
    {{ first_link('link_group_community', 'group_hk', ['community_hk']) }}
),

group_periods as (
    select relation, driving_hk as group_hk, secondary_hk as user_hk, effective_from, effective_to
    from {{ ref('relationship_periods') }}
    where
        relation in ('group_membership', 'group_moderator')
        {%- if recompute_from is not none %}
        and (effective_to is null or effective_to >= toDateTime64('{{ recompute_from }}', 6, 'UTC'))
        {%- endif %}
),

post_communities as (
    {{ first_link('landing_link_post_community', 'post_hk', ['community_hk']) }}
),

post_authors as (
    {{ first_link('landing_link_post_author', 'post_hk', ['author_hk']) }}
),

post_details as (
    select post_hk, effective_from from {{ ref('landing_sat_post_details') }}
    {{ mart_window_filter(recompute_from) }}
),

comment_communities as (
    {{ first_link('landing_link_comment_community', 'comment_hk', ['community_hk']) }}
),

comment_authors as (
    {{ first_link('landing_link_comment_target', 'comment_hk', ['author_hk']) }}
),

comment_details as (
    select comment_hk, effective_from from {{ ref('landing_sat_comment_details') }}
    {{ mart_window_filter(recompute_from) }}
),

reactions as (
    select reaction_hk, user_hk, target_type, target_hk from {{ ref('landing_link_reaction') }}
    where target_type in ('post', 'comment')
),

reaction_states as (
    select reaction_hk, effective_from from {{ ref('landing_eff_sat_reaction') }}
    where
        is_active
        {%- if recompute_from is not none %}
        and effective_from >= toDateTime64('{{ recompute_from }}', 6, 'UTC')
        {%- endif %}
),

report_communities as (
    select report_hk, community_hk from {{ ref('link_report_community') }}
),

report_details as (
    select report_hk, effective_from from {{ ref('sat_report_details') }}
),

community_names as (
    select
        community_hk,
        argMax(community_name, effective_from) as community_name,
        toDate(min(effective_from)) as created_date
    from community_details
    group by community_hk
),

spine as (
    select
        communities.community_hk as community_hk,
        toUInt64(assumeNotNull(communities.community_id)) as community_id,
        assumeNotNull(community_names.community_name) as community_name,
        toDate(arrayJoin(range(
            toUInt32({{ recompute_window_start('community_names.created_date', recompute_from) }}),
            toUInt32({{ snapshot_date() }}) + 1
        ))) as activity_date
    from communities
    inner join community_names on communities.community_hk = community_names.community_hk
),

-- membership / moderator periods of each community's groups
community_periods as (
    select
        group_periods.relation as relation,
        group_communities.community_hk as community_hk,
        group_periods.user_hk as user_hk,
        toDate(assumeNotNull(group_periods.effective_from)) as from_date,
        toDate(group_periods.effective_to) as to_date,
        group_periods.effective_to is not null as has_ended
    from group_periods
    inner join group_communities on group_periods.group_hk = group_communities.group_hk
),

-- a user is a member (moderator) on every day a period of theirs overlaps
period_days as (
    select distinct
        relation,
        community_hk,
        user_hk,
        toDate(arrayJoin(range(
            toUInt32({{ recompute_window_start('from_date', recompute_from) }}),
            toUInt32(if(has_ended, greatest(assumeNotNull(to_date), from_date), {{ snapshot_date() }})) + 1
        ))) as activity_date
    from community_periods
),

roster as (
    select
        community_hk,
        activity_date,
        uniqExactIf(user_hk, relation = 'group_membership') as members,
        uniqExactIf(user_hk, relation = 'group_moderator') as moderators
    from period_days
    group by community_hk, activity_date
),

growth as (
    select community_hk, activity_date, sum(joined) as members_joined, sum(left_) as members_left
    from (
        select community_hk, from_date as activity_date, 1 as joined, 0 as left_
        from community_periods
        where relation = 'group_membership'
        union all
        select community_hk, assumeNotNull(to_date) as activity_date, 0 as joined, 1 as left_
        from community_periods
        where relation = 'group_membership' and has_ended
    ) as membership_changes
    group by community_hk, activity_date
),

-- who did what in which community on which day
community_actions as (
    select
        post_communities.community_hk as community_hk,
        'post' as kind,
        post_authors.author_hk as user_hk,
        toDate(assumeNotNull(post_details.effective_from)) as activity_date
    from post_communities
    inner join post_authors on post_communities.post_hk = post_authors.post_hk
    inner join post_details on post_communities.post_hk = post_details.post_hk
    union all
    select
        comment_communities.community_hk as community_hk,
        'comment' as kind,
        comment_authors.author_hk as user_hk,
        toDate(assumeNotNull(comment_details.effective_from)) as activity_date
    from comment_communities
    inner join comment_authors on comment_communities.comment_hk = comment_authors.comment_hk
    inner join comment_details on comment_communities.comment_hk = comment_details.comment_hk
    union all
    select
        coalesce(post_communities.community_hk, comment_communities.community_hk) as community_hk,
        'reaction' as kind,
        reactions.user_hk as user_hk,
        toDate(assumeNotNull(reaction_states.effective_from)) as activity_date
    from reactions
    inner join reaction_states on reactions.reaction_hk = reaction_states.reaction_hk
    left join post_communities
        on reactions.target_type = 'post' and reactions.target_hk = post_communities.post_hk
    left join comment_communities
        on reactions.target_type = 'comment' and reactions.target_hk = comment_communities.comment_hk
    where coalesce(post_communities.community_hk, comment_communities.community_hk) is not null
),

actions_daily as (
    select
        community_hk,
        activity_date,
        countIf(kind = 'post') as posts,
        countIf(kind = 'comment') as comments,
        countIf(kind = 'reaction') as reactions
    from community_actions
    group by community_hk, activity_date
),

-- members who acted in the community that day
active_members as (
    select actions.community_hk, actions.activity_date,
        uniqExact(actions.user_hk) as active_members
    from (select distinct community_hk, user_hk, activity_date from community_actions) as actions
    inner join period_days as members
        on actions.community_hk = members.community_hk
        and actions.user_hk = members.user_hk
        and actions.activity_date = members.activity_date
        and members.relation = 'group_membership'
    group by actions.community_hk, actions.activity_date
),

complaints as (
    select
        report_communities.community_hk as community_hk,
        toDate(assumeNotNull(min(report_details.effective_from))) as activity_date,
        report_communities.report_hk as report_hk
    from report_communities
    inner join report_details on report_communities.report_hk = report_details.report_hk
    group by report_communities.community_hk, report_communities.report_hk
),

complaints_daily as (
    select community_hk, activity_date, count() as complaints
    from complaints
    group by community_hk, activity_date
),

daily as (
    select
        spine.community_id as community_id,
        spine.activity_date as activity_date,
        spine.community_name as community_name,
        toUInt64(growth.members_joined) as members_joined,
        toUInt64(growth.members_left) as members_left,
        toInt64(members_joined) - toInt64(members_left) as net_member_growth,
        toUInt64(roster.members) as members,
        toUInt64(active_members.active_members) as active_members,
        toUInt64(actions_daily.posts) as posts,
        toUInt64(actions_daily.comments) as comments,
        toUInt64(actions_daily.reactions) as reactions,
        toUInt64(roster.moderators) as moderators,
        toUInt64(complaints_daily.complaints) as complaints
    from spine
    left join growth
        on spine.community_hk = growth.community_hk and spine.activity_date = growth.activity_date
    left join roster
        on spine.community_hk = roster.community_hk and spine.activity_date = roster.activity_date
    left join active_members
        on spine.community_hk = active_members.community_hk
        and spine.activity_date = active_members.activity_date
    left join actions_daily
        on spine.community_hk = actions_daily.community_hk
        and spine.activity_date = actions_daily.activity_date
    left join complaints_daily
        on spine.community_hk = complaints_daily.community_hk
        and spine.activity_date = complaints_daily.activity_date
),

final as (
    select
        community_id,
        activity_date,
        community_name,
        members_joined,
        members_left,
        net_member_growth,
        -- 1 = the community that grew most that day (ties share a rank)
        toUInt64(rank() over (partition by activity_date order by net_member_growth desc))
            as growth_rank,
        members,
        active_members,
        if(members = 0, 0, active_members / members) as engagement_ratio,
        posts,
        comments,
        reactions,
        moderators,
        complaints,
        -- moderation load; null when the community has no moderator that day
        if(moderators = 0, null, complaints / moderators) as complaints_per_moderator,
        {{ snapshot_ts() }} as vault_load_ts
    from daily
)

select * from final
