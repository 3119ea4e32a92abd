with

source as (
    select * from {{ source('raw', 'evt_reaction_removed') }}
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
        user_id,
        target_id,
        target_author_id,
        community_id,
        -- attributes
        target_type,
        -- derived and renamed
        false as is_active,
        reaction as reaction_type,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_reaction_removed' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('user_id') }} as user_hk,
        {{ hash('target_id') }} as target_hk,
        {{ hash('target_author_id') }} as target_author_hk,
        {{ hash(['user_id', 'target_type', 'target_id']) }} as reaction_hk,
        {{ hashdiff(['is_active', 'reaction_type']) }} as reaction_status_hashdiff
    from renamed
)

select * from final
