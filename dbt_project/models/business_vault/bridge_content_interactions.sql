{#- One row per interaction with a piece of content (view, reaction, comment, share),
    with who acted, on what, whose content it was and when: the activity marts
    (interactions per post, virality, time to 1000 views) read only this.
    Incremental (delete+insert by interaction type, content type and key: hash keys of
    different hubs can be equal, e.g. comment 17's and share 17's): a run adds the views
    loaded since its watermark and re-derives the reactions, comments and shares whose
    link or satellite rows were loaded since (all rows of those keys, one index range
    each); load_ts is the snapshot bound of the run that derived the row. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['interaction_type', 'content_type', 'interaction_hk'],
    indexes=[
        {'columns': ['content_hk']},
        {'columns': ['actor_hk']},
        {'columns': ['interaction_hk']},
        {'columns': ['load_ts']},
    ],
) }}

with
{%- if is_incremental() %}

watermark as (
    select coalesce(max(load_ts), cast('-infinity' as timestamptz)) as loaded_until
    from {{ this }}
),
{%- endif %}

post_views as (
    select * from {{ ref('link_post_view') }}
    {%- if is_incremental() %}
    where load_ts > (select loaded_until from watermark)
    {%- endif %}
),

story_views as (
    select * from {{ ref('link_story_view') }}
    {%- if is_incremental() %}
    where load_ts > (select loaded_until from watermark)
    {%- endif %}
),

reel_views as (
    select * from {{ ref('link_reel_view') }}
    {%- if is_incremental() %}
    where load_ts > (select loaded_until from watermark)
    {%- endif %}
),

reactions as (
    select * from {{ ref('link_reaction') }}
    {{ changed_keys_filter('reaction_hk', ['link_reaction', 'eff_sat_reaction']) }}
),

reaction_states as (
    select * from {{ ref('eff_sat_reaction') }}
    {{ changed_keys_filter('reaction_hk', ['link_reaction', 'eff_sat_reaction']) }}
),

comments as (
    select * from {{ ref('link_comment_target') }}
    {{ changed_keys_filter('comment_hk', ['link_comment_target', 'sat_comment_status']) }}
),

comment_states as (
    select * from {{ ref('sat_comment_status') }}
    {{ changed_keys_filter('comment_hk', ['link_comment_target', 'sat_comment_status']) }}
),

shares as (
    select * from {{ ref('link_share_post') }}
    {{ changed_keys_filter('share_hk', ['link_share_post', 'sat_share_details']) }}
),

share_details as (
    select * from {{ ref('sat_share_details') }}
    {{ changed_keys_filter('share_hk', ['link_share_post', 'sat_share_details']) }}
),

first_reaction as (
    select
        reaction_hk,
        min(effective_from) as reacted_at,
        bool_or(is_active and effective_from = last_change) as is_current
    from (
        select
            *,
            max(effective_from) over (partition by reaction_hk) as last_change
        from reaction_states
    ) as states
    where is_active
    group by reaction_hk
),

first_comment as (
    select
        comment_hk,
        min(effective_from) as commented_at
    from comment_states
    group by comment_hk
),

first_share as (
    select
        share_hk,
        min(effective_from) as shared_at,
        min(share_kind) as share_kind
    from share_details
    group by share_hk
),

view_rows as (
    select
        'view' as interaction_type,
        view_hk as interaction_hk,
        viewer_hk as actor_hk,
        'post' as content_type,
        post_hk as content_hk,
        author_hk as content_author_hk,
        effective_from as occurred_at,
        true as is_current
    from post_views
    union all
    select
        'view' as interaction_type,
        view_hk as interaction_hk,
        viewer_hk as actor_hk,
        'story' as content_type,
        story_hk as content_hk,
        author_hk as content_author_hk,
        effective_from as occurred_at,
        true as is_current
    from story_views
    union all
    select
        'view' as interaction_type,
        view_hk as interaction_hk,
        viewer_hk as actor_hk,
        'reel' as content_type,
        reel_hk as content_hk,
        author_hk as content_author_hk,
        effective_from as occurred_at,
        true as is_current
    from reel_views
),

reaction_rows as (
    select
        'reaction' as interaction_type,
        reactions.reaction_hk as interaction_hk,
        reactions.user_hk as actor_hk,
        reactions.target_type as content_type,
        reactions.target_hk as content_hk,
        reactions.target_author_hk as content_author_hk,
        first_reaction.reacted_at as occurred_at,
        first_reaction.is_current
    from reactions
    inner join first_reaction on reactions.reaction_hk = first_reaction.reaction_hk
),

comment_rows as (
    select
        'comment' as interaction_type,
        comments.comment_hk as interaction_hk,
        comments.author_hk as actor_hk,
        comments.target_type as content_type,
        comments.target_hk as content_hk,
        cast(null as text) as content_author_hk,
        first_comment.commented_at as occurred_at,
        true as is_current
    from comments
    inner join first_comment on comments.comment_hk = first_comment.comment_hk
),

share_rows as (
    select
        first_share.share_kind as interaction_type,
        shares.share_hk as interaction_hk,
        shares.user_hk as actor_hk,
        'post' as content_type,
        shares.post_hk as content_hk,
        shares.post_author_hk as content_author_hk,
        first_share.shared_at as occurred_at,
        true as is_current
    from shares
    inner join first_share on shares.share_hk = first_share.share_hk
),

unioned as (
    select * from view_rows
    union all
    select * from reaction_rows
    union all
    select * from comment_rows
    union all
    select * from share_rows
),

final as (
    select
        *,
        {{ load_ts_literal(load_ts_to()) }} as load_ts
    from unioned
)

select * from final
