with

source as (
    select * from {{ source('raw', 'evt_subscription_charged') }}
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
        payment_id,
        subscriber_id,
        creator_id,
        -- attributes
        tier,
        amount,
        currency,
        period_start,
        period_end,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_subscription_charged' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('payment_id') }} as payment_hk,
        {{ hash('subscriber_id') }} as subscriber_hk,
        {{ hash('creator_id') }} as creator_hk,
        {{ hash(['subscriber_id', 'creator_id']) }} as subscription_hk
    from renamed
)

select * from final
