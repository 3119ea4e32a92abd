with

source as (
    select * from {{ source('raw', 'evt_post_created') }}
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
        post_id,
        author_id,
        group_id,
        community_id,
        -- attributes
        language,
        visibility,
        topic,
        media_ids,
        hashtags,
        -- derived and renamed
        text as post_text,
        jsonb_array_length(media_ids) as media_count,
        cast(hashtags as text) as hashtag_list,
        'published' as post_status,
        cast(null as text) as removed_by,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_post_created' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('post_id') }} as post_hk,
        {{ hash('author_id') }} as author_hk,
        {{ hash('group_id') }} as group_hk,
        {{ hash('community_id') }} as community_hk,
        {{ hash('topic') }} as topic_hk,
        {{ hash(['post_id', 'author_id']) }} as post_author_hk,
        {{ hash(['post_id', 'group_id']) }} as post_group_hk,
        {{ hash(['post_id', 'community_id']) }} as post_community_hk,
        {{ hash(['post_id', 'topic']) }} as post_topic_hk,
        {{ hashdiff(['post_text', 'language', 'visibility', 'media_count', 'hashtag_list']) }} as post_details_hashdiff,
        {{ hashdiff(['post_status', 'removed_by']) }} as post_status_hashdiff
    from renamed
)

select * from final
