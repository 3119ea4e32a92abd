with

source as (
    select * from {{ source('raw', 'evt_thumbnail_generated') }}
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
        thumbnail_id,
        media_id,
        -- attributes
        media_type,
        width,
        height,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_thumbnail_generated' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('thumbnail_id') }} as thumbnail_hk,
        {{ hash(['media_type', 'media_id']) }} as media_hk,
        {{ hash(['thumbnail_id', 'media_type', 'media_id']) }} as media_thumbnail_hk
    from renamed
)

select * from final
