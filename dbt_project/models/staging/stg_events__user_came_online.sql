with

source as (
    select * from {{ source('raw', 'evt_user_came_online') }}
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
        session_id,
        -- attributes
        device,
        -- derived and renamed
        'online' as online_status,
        cast(null as integer) as session_seconds,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_user_came_online' as record_source,
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
        {{ hash('session_id') }} as session_hk,
        {{ hashdiff(['online_status', 'session_id', 'device', 'session_seconds']) }} as status_hashdiff
    from renamed
)

select * from final
