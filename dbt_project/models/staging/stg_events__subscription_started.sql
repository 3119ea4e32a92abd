with

source as (
    select * from {{ source('raw', 'evt_subscription_started') }}
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
        subscriber_id,
        creator_id,
        -- attributes
        tier,
        -- derived and renamed
        true as is_active,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_subscription_started' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('subscriber_id') }} as subscriber_hk,
        {{ hash('creator_id') }} as creator_hk,
        {{ hash(['subscriber_id', 'creator_id']) }} as subscription_hk,
        {{ hashdiff(['is_active']) }} as subscription_status_hashdiff
    from renamed
)

select * from final
