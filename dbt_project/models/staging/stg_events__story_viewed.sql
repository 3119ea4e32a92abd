with

source as (
    select * from {{ source('raw', 'evt_story_viewed') }}
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
        viewer_id,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_story_viewed' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('event_id') }} as view_hk,
        {{ hash('story_id') }} as story_hk,
        {{ hash('author_id') }} as author_hk,
        {{ hash('viewer_id') }} as viewer_hk
    from renamed
)

select * from final
