{#- Every period during which a relationship that can end was active, from the
    effectivity satellites: [effective_from, effective_to), effective_to null while it
    still is. Answers "friends as of day D" with a range predicate. -#}
{{ config(indexes=[{'columns': ['relation', 'link_hk']}, {'columns': ['driving_hk']}]) }}

with

friendship as (
    select
        'friendship' as relation,
        friendship_hk as link_hk,
        user_a_hk as driving_hk,
        user_b_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_friendship') }}
),

follow as (
    select
        'follow' as relation,
        follow_hk as link_hk,
        follower_hk as driving_hk,
        followee_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_follow') }}
),

subscription as (
    select
        'subscription' as relation,
        subscription_hk as link_hk,
        subscriber_hk as driving_hk,
        creator_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_subscription') }}
),

block as (
    select
        'block' as relation,
        block_hk as link_hk,
        user_hk as driving_hk,
        target_user_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_block') }}
),

mute as (
    select
        'mute' as relation,
        mute_hk as link_hk,
        user_hk as driving_hk,
        target_user_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_mute') }}
),

close_friend as (
    select
        'close_friend' as relation,
        close_friend_hk as link_hk,
        user_hk as driving_hk,
        target_user_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_close_friend') }}
),

group_membership as (
    select
        'group_membership' as relation,
        group_membership_hk as link_hk,
        group_hk as driving_hk,
        user_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_group_membership') }}
),

group_moderator as (
    select
        'group_moderator' as relation,
        group_moderator_hk as link_hk,
        group_hk as driving_hk,
        user_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_group_moderator') }}
),

pinned_post as (
    select
        'pinned_post' as relation,
        pinned_post_hk as link_hk,
        group_hk as driving_hk,
        post_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_pinned_post') }}
),

reaction as (
    select
        'reaction' as relation,
        reaction_hk as link_hk,
        user_hk as driving_hk,
        target_hk as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref('eff_sat_reaction') }}
),

unioned as (
    select * from friendship
    union all
    select * from follow
    union all
    select * from subscription
    union all
    select * from block
    union all
    select * from mute
    union all
    select * from close_friend
    union all
    select * from group_membership
    union all
    select * from group_moderator
    union all
    select * from pinned_post
    union all
    select * from reaction
),

ordered as (
    select
        *,
        lead(effective_from) over (
            partition by relation, link_hk order by effective_from, load_ts
        ) as effective_to
    from unioned
),

final as (
    select
        relation,
        link_hk,
        driving_hk,
        secondary_hk,
        effective_from,
        effective_to,
        effective_to is null as is_current
    from ordered
    where is_active
)

select * from final
