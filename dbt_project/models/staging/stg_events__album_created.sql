with

source as (
    select * from {{ source('raw', 'evt_album_created') }}
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
        album_id,
        owner_id,
        -- attributes
        title,
        visibility,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_album_created' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('album_id') }} as album_hk,
        {{ hash('owner_id') }} as owner_hk,
        {{ hash(['album_id', 'owner_id']) }} as album_owner_hk,
        {{ hashdiff(['title', 'visibility']) }} as album_details_hashdiff
    from renamed
)

select * from final
