with

source as (
    select * from {{ source('raw', 'evt_donation_made') }}
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
        donation_id,
        donor_id,
        recipient_id,
        -- attributes
        recipient_type,
        amount,
        currency,
        message,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_donation_made' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('donation_id') }} as donation_hk,
        {{ hash('donor_id') }} as donor_hk,
        {{ hash('recipient_id') }} as recipient_hk
    from renamed
)

select * from final
