with

source as (
    select * from {{ source('raw', 'evt_report_filed') }}
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
        reporter_id,
        target_id,
        community_id,
        group_id,
        -- attributes
        target_type,
        reason,
        -- derived and renamed
        'open' as report_status,
        cast(null as text) as outcome,
        cast(null as integer) as moderator_id,
        -- timestamps and lineage
        occurred_at,
        loaded_at as load_ts,
        'raw.evt_report_filed' as record_source,
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
        {{ hash('reporter_id') }} as reporter_hk,
        {{ hash('target_id') }} as target_hk,
        {{ hash('community_id') }} as community_hk,
        {{ hash('group_id') }} as group_hk,
        {{ hash(['report_id', 'reporter_id', 'target_type', 'target_id']) }} as report_target_hk,
        {{ hash(['report_id', 'community_id']) }} as report_community_hk,
        {{ hash(['report_id', 'group_id']) }} as report_group_hk,
        {{ hashdiff(['reason', 'target_type']) }} as report_details_hashdiff,
        {{ hashdiff(['report_status', 'outcome', 'moderator_id']) }} as report_status_hashdiff
    from renamed
)

select * from final
