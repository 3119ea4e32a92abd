with

source as (
    select * from {{ source('raw', 'evt_comment_deleted') }}
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
        -- attributes
        removed_by,
        -- derived and renamed
        'deleted' as comment_status,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_comment_deleted' as record_source,
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
        {{ hashdiff(['comment_status', 'removed_by']) }} as comment_status_hashdiff
    from renamed
)

select * from final
