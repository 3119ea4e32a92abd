{%- set source_model = [
    'stg_events__report_filed',
    'stg_events__report_resolved',
] -%}

{{ sat(
    src_pk='report_hk',
    src_hashdiff='report_status_hashdiff',
    src_payload=['report_status', 'outcome', 'moderator_id'],
    src_eff='occurred_at',
    src_ldts='load_ts',
    src_source='record_source',
    source_model=source_model
) }}
