with

source as (
    select * from {{ source('raw', 'evt_ad_clicked') }}
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
        impression_event_id,
        -- attributes
        cost,
        currency,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_ad_clicked' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('event_id') }} as click_hk,
        {{ hash('ad_id') }} as ad_hk,
        {{ hash('campaign_id') }} as campaign_hk,
        {{ hash('user_id') }} as user_hk,
        {{ hash('impression_event_id') }} as impression_hk
    from renamed
)

select * from final
