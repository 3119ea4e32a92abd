with

source as (
    select * from {{ source('raw', 'evt_photo_uploaded') }}
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
        owner_id,
        album_id,
        -- attributes
        width,
        height,
        size_bytes,
        -- derived and renamed
        'photo' as media_type,
        photo_id as media_id,
        cast(null as integer) as duration_s,
        format as media_format,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_photo_uploaded' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash(['media_type', 'media_id']) }} as media_hk,
        {{ hash('owner_id') }} as owner_hk,
        {{ hash('album_id') }} as album_hk,
        {{ hash(['media_type', 'media_id', 'owner_id']) }} as media_owner_hk,
        {{ hash(['album_id', 'media_type', 'media_id']) }} as album_media_hk,
        {{ hashdiff(['width', 'height', 'size_bytes', 'media_format', 'duration_s']) }} as media_details_hashdiff
    from renamed
)

select * from final
