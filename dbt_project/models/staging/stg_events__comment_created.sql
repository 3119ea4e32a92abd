with

source as (
    select * from {{ source('raw', 'evt_comment_created') }}
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
        comment_id,
        author_id,
        target_id,
        target_author_id,
        community_id,
        -- attributes
        target_type,
        topic,
        -- derived and renamed
        text as comment_text,
        'published' as comment_status,
        cast(null as text) as removed_by,
        false as is_reply,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_comment_created' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('comment_id') }} as comment_hk,
        {{ hash('author_id') }} as author_hk,
        {{ hash('target_id') }} as target_hk,
        {{ hash('community_id') }} as community_hk,
        {{ hash('topic') }} as topic_hk,
        {{ hash(['comment_id', 'author_id', 'target_type', 'target_id']) }} as comment_target_hk,
        {{ hash(['comment_id', 'community_id']) }} as comment_community_hk,
        {{ hash(['comment_id', 'topic']) }} as comment_topic_hk,
        {{ hashdiff(['comment_text']) }} as comment_details_hashdiff,
        {{ hashdiff(['comment_status', 'removed_by']) }} as comment_status_hashdiff
    from renamed
)

select * from final
