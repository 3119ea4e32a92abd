with

source as (
    select * from {{ source('raw', 'evt_block_ended') }}
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
        target_user_id,
        -- derived and renamed
        false as is_active,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_block_ended' as record_source,
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
        {{ hash('target_user_id') }} as target_user_hk,
        {{ hash(['user_id', 'target_user_id']) }} as block_hk,
        {{ hashdiff(['is_active']) }} as block_status_hashdiff
    from renamed
)

select * from final
