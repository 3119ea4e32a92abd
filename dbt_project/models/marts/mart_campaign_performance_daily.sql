{#- One row per campaign and UTC day: the ads it served, their impressions, clicks and
    CTR (clicked impressions / impressions), rolled up from mart_ad_performance_daily.
    Incremental (delete+insert by day): the days that mart rewrote since this one's last
    run (its vault_load_ts is newer) are rolled up again. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    order_by='(activity_date, campaign_id)',
    partition_by='toYYYYMM(activity_date)',
) }}

with

ad_daily as (
    select * from {{ ref('mart_ad_performance_daily') }}
    {%- if is_incremental() %}
    where activity_date in (
        select rewritten.activity_date from {{ ref('mart_ad_performance_daily') }} as rewritten
        where rewritten.vault_load_ts > (select max(vault_load_ts) from {{ this }})
    )
    {%- endif %}
),

campaign_details as (
    select campaign_hk, objective, effective_from from {{ ref('sat_campaign_details') }}
),

campaigns as (
    select campaign_hk, campaign_id from {{ ref('hub_campaign') }}
),

objectives as (
    select
        toUInt64(assumeNotNull(campaigns.campaign_id)) as campaign_id,
        argMax(campaign_details.objective, campaign_details.effective_from) as objective
    from campaigns
    inner join campaign_details on campaigns.campaign_hk = campaign_details.campaign_hk
    group by campaign_id
),

rolled_up as (
    select
        activity_date,
        campaign_id,
        any(advertiser_id) as advertiser_id,
        uniqExactIf(ad_id, impressions > 0) as ads_served,
        sum(impressions) as total_impressions,
        sum(clicks) as total_clicks,
        sum(clicked_impressions) as total_clicked_impressions
    from ad_daily
    group by activity_date, campaign_id
),

final as (
    select
        rolled_up.activity_date as activity_date,
        rolled_up.campaign_id as campaign_id,
        rolled_up.advertiser_id as advertiser_id,
        assumeNotNull(objectives.objective) as objective,
        toUInt64(rolled_up.ads_served) as ads_served,
        toUInt64(rolled_up.total_impressions) as impressions,
        toUInt64(rolled_up.total_clicks) as clicks,
        toUInt64(rolled_up.total_clicked_impressions) as clicked_impressions,
        if(impressions = 0, 0, clicked_impressions / impressions) as ctr,
        {{ snapshot_ts() }} as vault_load_ts
    from rolled_up
    left join objectives on rolled_up.campaign_id = objectives.campaign_id
)

select * from final
