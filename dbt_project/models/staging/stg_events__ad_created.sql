with

source as (
    select * from {{ source('raw', 'evt_ad_created') }}
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
        ad_id,
        campaign_id,
        advertiser_id,
        -- attributes
        headline,
        target_url,
        topic,
        -- derived and renamed
        format as ad_format,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_ad_created' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('ad_id') }} as ad_hk,
        {{ hash('campaign_id') }} as campaign_hk,
        {{ hash('advertiser_id') }} as advertiser_hk,
        {{ hash('topic') }} as topic_hk,
        {{ hash(['ad_id', 'campaign_id']) }} as ad_campaign_hk,
        {{ hash(['ad_id', 'topic']) }} as ad_topic_hk,
        {{ hashdiff(['ad_format', 'headline', 'target_url']) }} as ad_details_hashdiff
    from renamed
)

select * from final
