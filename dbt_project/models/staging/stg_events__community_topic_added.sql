with

source as (
    select * from {{ source('raw', 'evt_community_topic_added') }}
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
        community_id,
        -- attributes
        topic,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_community_topic_added' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('community_id') }} as community_hk,
        {{ hash('topic') }} as topic_hk,
        {{ hash(['community_id', 'topic']) }} as community_topic_hk
    from renamed
)

select * from final
