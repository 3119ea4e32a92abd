with

source as (
    select * from {{ source('raw', 'evt_ad_campaign_created') }}
    where {{ loaded_until('loaded_at') }}
),

renamed as (
    select
        -- envelope
        event_id,
        entity_type,
        entity_id,
        actor_id,
        -- ids
        campaign_id,
        advertiser_id,
        -- attributes
        advertiser_name,
        objective,
        daily_budget,
        currency,
        starts_on,
        ends_on,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_ad_campaign_created' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('campaign_id') }} as campaign_hk,
        {{ hash('advertiser_id') }} as advertiser_hk,
        {{ hash(['campaign_id', 'advertiser_id']) }} as campaign_advertiser_hk,
        {{ hashdiff(['objective', 'daily_budget', 'currency', 'starts_on', 'ends_on']) }} as campaign_details_hashdiff,
        {{ hashdiff(['advertiser_name']) }} as advertiser_details_hashdiff
    from renamed
)

select * from final
