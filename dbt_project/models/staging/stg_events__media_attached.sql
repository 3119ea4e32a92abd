with

source as (
    select * from {{ source('raw', 'evt_media_attached') }}
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
        attachment_id,
        media_id,
        target_id,
        -- attributes
        media_type,
        target_type,
        position,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_media_attached' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('attachment_id') }} as attachment_hk,
        {{ hash(['media_type', 'media_id']) }} as media_hk,
        {{ hash('target_id') }} as target_hk,
        {{ hash(['attachment_id', 'media_type', 'media_id', 'target_type', 'target_id']) }} as media_attachment_hk
    from renamed
)

select * from final
