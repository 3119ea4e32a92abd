with

source as (
    select * from {{ source('raw', 'evt_user_settings_changed') }}
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
        -- attributes
        language,
        theme,
        email_notifications,
        push_notifications,
        autoplay_videos,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_user_settings_changed' as record_source,
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
        {{ hashdiff(['language', 'theme', 'email_notifications', 'push_notifications', 'autoplay_videos']) }} as settings_hashdiff
    from renamed
)

select * from final
