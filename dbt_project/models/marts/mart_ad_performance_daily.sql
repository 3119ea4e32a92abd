{#- One row per ad and UTC day: impressions served, clicks made, and CTR (the share of
    that day's impressions that were clicked, so 0 <= CTR <= 1). Incremental: only the
    days touched by newly loaded impressions or clicks (and the day before, for clicks on
    an impression served just before midnight) are rebuilt, from the landing tables; the
    small ad/campaign/advertiser dimensions are read through the PostgreSQL mirrors. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='activity_date',
    order_by='(activity_date, ad_id)',
    partition_by='toYYYYMM(activity_date)',
) }}

{%- set recompute_from = mart_recompute_from(['link_ad_impression', 'link_ad_click'], lookback_days=1) -%}

with

impressions as (
    select impression_hk, ad_hk, effective_from from {{ ref('landing_link_ad_impression') }}
    {{ mart_window_filter(recompute_from) }}
),

clicks as (
    select impression_hk, ad_hk, effective_from from {{ ref('landing_link_ad_click') }}
    {{ mart_window_filter(recompute_from) }}
),

ads as (
    select ad_hk, ad_id from {{ ref('hub_ad') }}
),

ad_campaigns as (
    select ad_hk, campaign_hk from {{ ref('link_ad_campaign') }}
),

campaigns as (
    select campaign_hk, campaign_id from {{ ref('hub_campaign') }}
),

campaign_advertisers as (
    select campaign_hk, advertiser_hk from {{ ref('link_campaign_advertiser') }}
),

advertisers as (
    select advertiser_hk, advertiser_id from {{ ref('hub_advertiser') }}
),

clicked as (
    select distinct impression_hk from clicks
),

impressions_daily as (
    select
        ad_hk,
        toDate(assumeNotNull(effective_from)) as activity_date,
        count() as impressions,
        countIf(impression_hk in (select impression_hk from clicked)) as clicked_impressions
    from impressions
    group by ad_hk, activity_date
),

clicks_daily as (
    select
        ad_hk,
        toDate(assumeNotNull(effective_from)) as activity_date,
        count() as clicks
    from clicks
    group by ad_hk, activity_date
),

ad_days as (
    select ad_hk, activity_date from impressions_daily
    union distinct
    select ad_hk, activity_date from clicks_daily
),

ad_owners as (
    select
        ad_campaigns.ad_hk as ad_hk,
        any(campaigns.campaign_id) as campaign_id,
        any(advertisers.advertiser_id) as advertiser_id
    from ad_campaigns
    inner join campaigns on ad_campaigns.campaign_hk = campaigns.campaign_hk
    left join campaign_advertisers on ad_campaigns.campaign_hk = campaign_advertisers.campaign_hk
    left join advertisers on campaign_advertisers.advertiser_hk = advertisers.advertiser_hk
    group by ad_campaigns.ad_hk
),

final as (
    select
        ad_days.activity_date as activity_date,
        toUInt64(assumeNotNull(ads.ad_id)) as ad_id,
        toUInt64(assumeNotNull(ad_owners.campaign_id)) as campaign_id,
        toUInt64(assumeNotNull(ad_owners.advertiser_id)) as advertiser_id,
        toUInt64(impressions_daily.impressions) as impressions,
        toUInt64(clicks_daily.clicks) as clicks,
        toUInt64(impressions_daily.clicked_impressions) as clicked_impressions,
        if(impressions = 0, 0, clicked_impressions / impressions) as ctr,
        {{ snapshot_ts() }} as vault_load_ts
    from ad_days
    inner join ads on ad_days.ad_hk = ads.ad_hk
    left join ad_owners on ad_days.ad_hk = ad_owners.ad_hk
    left join impressions_daily
        on ad_days.ad_hk = impressions_daily.ad_hk
        and ad_days.activity_date = impressions_daily.activity_date
    left join clicks_daily
        on ad_days.ad_hk = clicks_daily.ad_hk and ad_days.activity_date = clicks_daily.activity_date
    {%- if recompute_from is not none %}
    where ad_days.activity_date >= toDate('{{ recompute_from }}')
    {%- endif %}
)

select * from final
