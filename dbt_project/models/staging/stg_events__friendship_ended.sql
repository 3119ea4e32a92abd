with

source as (
    select * from {{ source('raw', 'evt_friendship_ended') }}
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
        friend_id,
        -- derived and renamed
        least(user_id, friend_id) as user_a_id,
        greatest(user_id, friend_id) as user_b_id,
        false as is_active,
        user_id as acted_by_user_id,
        source as friendship_source,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_friendship_ended' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('user_a_id') }} as user_a_hk,
        {{ hash('user_b_id') }} as user_b_hk,
        {{ hash(['user_a_id', 'user_b_id']) }} as friendship_hk,
        {{ hashdiff(['is_active']) }} as friendship_status_hashdiff
    from renamed
)

select * from final
