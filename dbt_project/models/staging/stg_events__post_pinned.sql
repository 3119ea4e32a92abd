with

source as (
    select * from {{ source('raw', 'evt_post_pinned') }}
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
        group_id,
        community_id,
        post_id,
        by_user_id,
        -- derived and renamed
        true as is_active,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_post_pinned' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('group_id') }} as group_hk,
        {{ hash('post_id') }} as post_hk,
        {{ hash(['group_id', 'post_id']) }} as pinned_post_hk,
        {{ hash('community_id') }} as community_hk,
        {{ hashdiff(['is_active']) }} as pinned_post_status_hashdiff
    from renamed
)

select * from final
