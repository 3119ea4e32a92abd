with

source as (
    select * from {{ source('raw', 'evt_user_deactivated') }}
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
        user_id,
        -- derived and renamed
        'deactivated' as lifecycle_status,
        reason as deactivation_reason,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_user_deactivated' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('user_id') }} as user_hk,
        {{ hashdiff(['lifecycle_status', 'deactivation_reason']) }} as user_lifecycle_hashdiff
    from renamed
)

select * from final
