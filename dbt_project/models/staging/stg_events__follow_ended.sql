with

source as (
    select * from {{ source('raw', 'evt_follow_ended') }}
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
        follower_id,
        followee_id,
        -- derived and renamed
        false as is_active,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_follow_ended' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('follower_id') }} as follower_hk,
        {{ hash('followee_id') }} as followee_hk,
        {{ hash(['follower_id', 'followee_id']) }} as follow_hk,
        {{ hashdiff(['is_active']) }} as follow_status_hashdiff
    from renamed
)

select * from final
