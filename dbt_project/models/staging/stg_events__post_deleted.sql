with

source as (
    select * from {{ source('raw', 'evt_post_deleted') }}
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
        -- attributes
        removed_by,
        -- derived and renamed
        'deleted' as post_status,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_post_deleted' as record_source,
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
        {{ hashdiff(['post_status', 'removed_by']) }} as post_status_hashdiff
    from renamed
)

select * from final
