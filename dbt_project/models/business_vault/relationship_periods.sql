{#- Every period during which a relationship that can end was active, from the
    effectivity satellites: [effective_from, effective_to), effective_to null while it
    still is. Answers "friends as of day D" with a range predicate.
    Incremental (delete+insert by link): a run re-derives the periods of the links whose
    effectivity rows were loaded since its watermark (every row of those links, one index
    range each); load_ts is the snapshot bound of the run that derived the row. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['relation', 'link_hk'],
    indexes=[
        {'columns': ['relation', 'link_hk']},
        {'columns': ['driving_hk']},
        {'columns': ['load_ts']},
        {'columns': ['relation', 'is_current']},
    ],
) }}

{#- relation -> (effectivity satellite, link key, driving key, secondary key) -#}
{%- set relations = {
    'friendship': ('eff_sat_friendship', 'friendship_hk', 'user_a_hk', 'user_b_hk'),
    'follow': ('eff_sat_follow', 'follow_hk', 'follower_hk', 'followee_hk'),
    'subscription': ('eff_sat_subscription', 'subscription_hk', 'subscriber_hk', 'creator_hk'),
    'block': ('eff_sat_block', 'block_hk', 'user_hk', 'target_user_hk'),
    'mute': ('eff_sat_mute', 'mute_hk', 'user_hk', 'target_user_hk'),
    'close_friend': ('eff_sat_close_friend', 'close_friend_hk', 'user_hk', 'target_user_hk'),
    'group_membership': ('eff_sat_group_membership', 'group_membership_hk', 'group_hk', 'user_hk'),
    'group_moderator': ('eff_sat_group_moderator', 'group_moderator_hk', 'group_hk', 'user_hk'),
    'pinned_post': ('eff_sat_pinned_post', 'pinned_post_hk', 'group_hk', 'post_hk'),
    'reaction': ('eff_sat_reaction', 'reaction_hk', 'user_hk', 'target_hk'),
} -%}

with
{%- if is_incremental() %}

watermark as (
    select coalesce(max(load_ts), cast('-infinity' as timestamptz)) as loaded_until
    from {{ this }}
),
{%- endif %}
{%- for relation, spec in relations.items() %}
{%- set eff_sat, link_hk, driving_hk, secondary_hk = spec %}

{{ relation }} as (
    select
        '{{ relation }}' as relation,
        {{ link_hk }} as link_hk,
        {{ driving_hk }} as driving_hk,
        {{ secondary_hk }} as secondary_hk,
        is_active,
        effective_from,
        load_ts
    from {{ ref(eff_sat) }}
    {%- if is_incremental() %}
    where {{ link_hk }} in (
        select changed.{{ link_hk }} from {{ ref(eff_sat) }} as changed
        where changed.load_ts > (select loaded_until from watermark)
    )
    {%- endif %}
),
{%- endfor %}

unioned as (
    {%- for relation in relations %}
    select * from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
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
        effective_to is null as is_current,
        {{ load_ts_literal(load_ts_to()) }} as load_ts
    from ordered
    where is_active
)

select * from final
