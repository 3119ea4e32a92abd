with

source as (
    select * from {{ source('raw', 'evt_story_expired') }}
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
        story_id,
        author_id,
        -- derived and renamed
        'expired' as story_status,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_story_expired' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('story_id') }} as story_hk,
        {{ hash('author_id') }} as author_hk,
        {{ hashdiff(['story_status']) }} as story_status_hashdiff
    from renamed
)

select * from final
