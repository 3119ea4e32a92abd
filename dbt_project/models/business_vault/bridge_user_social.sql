{#- User-centric social graph: for each user, every friend (both directions), every user
    they follow and every follower, with the period of the tie. Marts count friends and
    followers as of a day with effective_from <= D < coalesce(effective_to, infinity).
    Incremental (delete+insert by tie and link: a friendship and a follow between the same
    two users have the same hash key): the links whose periods relationship_periods
    re-derived since this table's watermark are re-derived here. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['tie', 'link_hk'],
    indexes=[{'columns': ['user_hk']}, {'columns': ['link_hk']}, {'columns': ['load_ts']}],
) }}

with

periods as (
    select * from {{ ref('relationship_periods') }}
    where
        relation in ('friendship', 'follow')
        {%- if is_incremental() %}
        and load_ts > (
            select coalesce(max(load_ts), cast('-infinity' as timestamptz)) from {{ this }}
        )
        {%- endif %}
),

{%- for tie, relation, user_side, other_side in [
    ('friend', 'friendship', 'driving_hk', 'secondary_hk'),
    ('friend', 'friendship', 'secondary_hk', 'driving_hk'),
    ('follows', 'follow', 'driving_hk', 'secondary_hk'),
    ('followed_by', 'follow', 'secondary_hk', 'driving_hk'),
] %}

{{ ['friend_forward', 'friend_backward', 'follows', 'followed_by'][loop.index0] }} as (
    select
        {{ user_side }} as user_hk,
        {{ other_side }} as other_user_hk,
        '{{ tie }}' as tie,
        link_hk,
        effective_from,
        effective_to,
        is_current,
        load_ts
    from periods
    where relation = '{{ relation }}'
),
{%- endfor %}

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
