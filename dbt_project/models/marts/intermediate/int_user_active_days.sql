{#- One row per user and UTC day with at least one action (link_user_action): the input of
    DAU and WAU, a few rows per active user and day instead of every action. Incremental
    (append): a run adds the user-days of the actions landed since its watermark; the
    ReplacingMergeTree folds a user-day seen again into one row (readers count with
    uniqExact, so an unmerged repeat never counts twice). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='ReplacingMergeTree(load_ts)',
    order_by='(activity_date, user_hk)',
    partition_by='toYYYYMM(activity_date)',
) }}

{%- set watermark = landing_watermark() %}

with

actions as (
    select user_hk, effective_from, load_ts from {{ ref('landing_link_user_action') }}
    {%- if watermark %}
    where load_ts > {{ load_ts_literal(watermark) }}
    {%- endif %}
),

final as (
    select
        toDate(assumeNotNull(effective_from)) as activity_date,
        assumeNotNull(user_hk) as user_hk,
        assumeNotNull(max(load_ts)) as load_ts
    from actions
    group by activity_date, user_hk
)

select * from final
