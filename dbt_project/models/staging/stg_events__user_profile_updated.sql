with

source as (
    select * from {{ source('raw', 'evt_user_profile_updated') }}
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
        avatar_photo_id,
        -- attributes
        display_name,
        bio,
        city,
        website,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_user_profile_updated' as record_source,
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
        {{ hashdiff(['display_name', 'bio', 'city', 'website', 'avatar_photo_id']) }} as profile_hashdiff
    from renamed
)

select * from final
