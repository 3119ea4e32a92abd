with

source as (
    select * from {{ source('raw', 'evt_reel_created') }}
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
        reel_id,
        author_id,
        -- attributes
        duration_s,
        caption,
        topic,
        -- derived and renamed
        'video' as media_type,
        video_id as media_id,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_reel_created' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('reel_id') }} as reel_hk,
        {{ hash('author_id') }} as author_hk,
        {{ hash(['media_type', 'media_id']) }} as media_hk,
        {{ hash('topic') }} as topic_hk,
        {{ hash(['reel_id', 'author_id']) }} as reel_author_hk,
        {{ hash(['reel_id', 'media_type', 'media_id']) }} as reel_media_hk,
        {{ hash(['reel_id', 'topic']) }} as reel_topic_hk,
        {{ hashdiff(['duration_s', 'caption']) }} as reel_details_hashdiff
    from renamed
)

select * from final
