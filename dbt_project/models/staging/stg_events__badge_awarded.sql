with

source as (
    select * from {{ source('raw', 'evt_badge_awarded') }}
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
        -- attributes
        badge,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_badge_awarded' as record_source,
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
        {{ hash('badge') }} as badge_hk,
        {{ hash(['user_id', 'badge']) }} as user_badge_hk
    from renamed
)

select * from final
