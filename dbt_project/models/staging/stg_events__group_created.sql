with

source as (
    select * from {{ source('raw', 'evt_group_created') }}
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
        owner_id,
        -- attributes
        privacy,
        -- derived and renamed
        name as group_name,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_group_created' as record_source,
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
        {{ hash('community_id') }} as community_hk,
        {{ hash('owner_id') }} as owner_hk,
        {{ hash(['group_id', 'community_id']) }} as group_community_hk,
        {{ hash(['group_id', 'owner_id']) }} as group_owner_hk,
        {{ hashdiff(['group_name', 'privacy']) }} as group_details_hashdiff
    from renamed
)

select * from final
