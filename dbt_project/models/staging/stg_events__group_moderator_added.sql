with

source as (
    select * from {{ source('raw', 'evt_group_moderator_added') }}
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
        user_id,
        by_user_id,
        -- derived and renamed
        true as is_active,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_group_moderator_added' as record_source,
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
        {{ hash('user_id') }} as user_hk,
        {{ hash(['group_id', 'user_id']) }} as group_moderator_hk,
        {{ hash('community_id') }} as community_hk,
        {{ hashdiff(['is_active']) }} as group_moderator_status_hashdiff
    from renamed
)

select * from final
