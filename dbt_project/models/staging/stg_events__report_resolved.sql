with

source as (
    select * from {{ source('raw', 'evt_report_resolved') }}
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
        report_id,
        moderator_id,
        community_id,
        group_id,
        -- attributes
        outcome,
        -- derived and renamed
        'resolved' as report_status,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_report_resolved' as record_source,
        manifest_id,
        source_object,
        source_line
    from source
),

final as (
    select
        renamed.*,
        -- hash keys and hashdiffs
        {{ hash('report_id') }} as report_hk,
        {{ hash('moderator_id') }} as moderator_hk,
        {{ hash(['report_id', 'moderator_id']) }} as report_moderator_hk,
        {{ hashdiff(['report_status', 'outcome', 'moderator_id']) }} as report_status_hashdiff
    from renamed
)

select * from final
