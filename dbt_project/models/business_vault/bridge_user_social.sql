{#- User-centric social graph: for each user, every friend (both directions), every user
    they follow and every follower, with the period of the tie. Marts count friends and
    followers as of a day with effective_from <= D < coalesce(effective_to, infinity). -#}
{{ config(indexes=[{'columns': ['user_hk']}]) }}

with

periods as (
    select * from {{ ref('relationship_periods') }}
    where relation in ('friendship', 'follow')
),

friend_forward as (
    select
        driving_hk as user_hk,
        secondary_hk as other_user_hk,
        'friend' as tie,
        link_hk,
        effective_from,
        effective_to,
        is_current
    from periods
    where relation = 'friendship'
),

friend_backward as (
    select
        secondary_hk as user_hk,
        driving_hk as other_user_hk,
        'friend' as tie,
        link_hk,
        effective_from,
        effective_to,
        is_current
    from periods
    where relation = 'friendship'
),

follows as (
    select
        driving_hk as user_hk,
        secondary_hk as other_user_hk,
        'follows' as tie,
        link_hk,
        effective_from,
        effective_to,
        is_current
    from periods
    where relation = 'follow'
),

followed_by as (
    select
        secondary_hk as user_hk,
        driving_hk as other_user_hk,
        'followed_by' as tie,
        link_hk,
        effective_from,
        effective_to,
        is_current
    from periods
    where relation = 'follow'
),

final as (
    select * from friend_forward
    union all
    select * from friend_backward
    union all
    select * from follows
    union all
    select * from followed_by
)

select * from final
