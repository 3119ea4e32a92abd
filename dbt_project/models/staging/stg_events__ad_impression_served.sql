with

source as (
    select * from {{ source('raw', 'evt_ad_impression_served') }}
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
        user_id,
        -- attributes
        placement,
        cost,
        currency,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_ad_impression_served' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('event_id') }} as impression_hk,
        {{ hash('ad_id') }} as ad_hk,
        {{ hash('campaign_id') }} as campaign_hk,
        {{ hash('user_id') }} as user_hk
    from renamed
)

select * from final
