with

source as (
    select * from {{ source('raw', 'evt_group_joined') }}
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
        -- derived and renamed
        true as is_active,
        reason as membership_reason,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_group_joined' as record_source,
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
        {{ hash(['group_id', 'user_id']) }} as group_membership_hk,
        {{ hash('community_id') }} as community_hk,
        {{ hashdiff(['is_active']) }} as group_membership_status_hashdiff
    from renamed
)

select * from final
