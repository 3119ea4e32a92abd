with

source as (
    select * from {{ source('raw', 'evt_community_created') }}
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
        owner_id,
        -- attributes
        description,
        visibility,
        -- derived and renamed
        name as community_name,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_community_created' as record_source,
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
        {{ hash('owner_id') }} as owner_hk,
        {{ hash(['community_id', 'owner_id']) }} as community_owner_hk,
        {{ hashdiff(['community_name', 'description', 'visibility']) }} as community_details_hashdiff
    from renamed
)

select * from final
